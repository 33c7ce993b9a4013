import { AppError, Cancelled } from '../../../shared/errors';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decodeAudioStream } from '../media/audio';
import { requireAudio, type MediaInfo } from '../media/probe';
import { createWavWriter, type WavFormat, type WavWriter } from '../media/wav';
import type { MaskMode } from '../dsp/masks';
import type { AnalysisCache } from '../analysis/cache';
import type { ModelRuntime } from '../models/runtime';
import { anyPoint, composeSources, picturePoint, pointOf, type SourceQuery } from './query';
import { followSources, movementShare, type FollowedSources } from './movement-share';
import { binMap, FullRateSynth, fullRateGrid, interpolateFrame } from './fullrate';
import { workerMasks } from './mask-client';
import { maskWindows, type MaskWindow, type WindowSpan } from './mask-windows';
import { ModelMaskTrack } from './model-masks';
import { planStages, type SourceInput, type StagePlan } from '../stages';
export type { SourceQuery };

/**
 * Source queries (separation/query.ts) -> stems. N sources are separated jointly: each model window's masks come from the card's
 * stages (appearance, then refinements such as motion when declared), are cross-faded between
 * overlapping windows at the model rate, completed with a residual, and applied to every channel's
 * full-rate STFT. Output: source-1.wav ... source-N.wav and residual.wav at the media's rate,
 * channels and exact length. Streaming end to end (decode -> masks -> stems on disk).
 */

export interface SeparateOptions {
  runtime: ModelRuntime;
  /** The media's analysis (visual features for the clicks, heatmaps for activity); null when no source has a point. */
  cache: AnalysisCache | null;
  info: MediaInfo;
  outDir: string;
  format?: WavFormat;
  mask?: MaskMode;
  /** Model-rate samples between windows (multiple of the STFT hop, <= window). Default DEFAULT_WINDOW_HOP. */
  windowHop?: number;
  /** Only this range of the media (previews); default the whole track. */
  startSec?: number;
  durationSec?: number;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
  /**
   * Compute the model masks in a worker thread while this thread makes the full-rate stems
   * (default true); false runs everything here.
   */
  pipeline?: boolean;
  /** Use only these of the card's stages (e.g. ['appearance'] for a comparison); default all. */
  stages?: string[];
  /**
   * Share the clicked sources' masks by how each one moves in the picture (default true; false for
   * comparisons). See separation/movement-share.ts.
   */
  movement?: boolean;
}

export interface SourceReport {
  index: number;
  /** The query: the click (null for a source asked for by name alone) and the class name. */
  point: { x: number; y: number; timeSec: number } | null;
  className: string | null;
  /** Analysed frame the features came from, and the feature cell clicked; null without a click. */
  frame: number | null;
  cell: [number, number] | null;
  file: string;
}

export interface SeparationResult {
  sources: SourceReport[];
  residual: string;
  sampleRate: number;
  channels: number;
  /** Samples per channel in every stem. */
  frames: number;
  startSec: number;
  mask: MaskMode;
  format: WavFormat;
  windowHop: number;
  grid: { hop: number; window: number; nFft: number };
  stages: { used: string[]; skipped: { stage: string; reason: string }[] };
  /**
   * Per source with a click, the heatmap value at its cell for each analysed frame (fps of the
   * analysis); null for a source asked for by name alone, and all null without an analysis.
   */
  activity: { fps: number; startFrame: number; values: (number[] | null)[] } | null;
  /** Things the user must be told (a class name the model could not use). */
  warnings: string[];
  timings: { separateSec: number; firstAudioSec: number | null };
  /** Stems with samples beyond full scale, written clipped (integer formats only). */
  clipped: { file: string; samples: number }[];
}

/**
 * 3/4 of a window: windows overlap by 64 STFT frames (1.5 s), enough for a smooth cross-fade, at
 * 2/3 of the model runs that half-overlapping windows would cost.
 */
export const DEFAULT_WINDOW_HOP = 49152;

/** Clicks or options that cannot be separated. */
export class SeparationError extends AppError {
  override name = 'SeparationError';
  constructor(message: string) {
    super('bad_request', message);
  }
}


function check(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Cancelled();
}

/** Heatmap value at each clicked source's cell, per analysed frame in [first, first + count); null for a source without a click. */
export async function sourceActivity(cache: AnalysisCache, sources: SourceInput[], first = 0, count = cache.meta.frames): Promise<(number[] | null)[]> {
  const [, cols] = cache.meta.grid;
  const cells = cache.meta.grid[0] * cols;
  const values = sources.map((s) => (s.cell ? ([] as number[]) : null));
  const block = 1024;
  for (let f = first; f < Math.min(cache.meta.frames, first + count); f += block) {
    const h = await cache.heatmaps(f, Math.min(block, first + count - f));
    const n = h.length / cells;
    for (let i = 0; i < n; i++) sources.forEach((s, k) => s.cell && values[k]!.push(Math.round(h[i * cells + s.cell.row * cols + s.cell.col] * 1000) / 1000));
  }
  return values;
}

/** The sources with each one's activity as the tracker followed it (null where it was not followed). */
export function withActivity(sources: SourceInput[], followed: FollowedSources | null): SourceInput[] {
  return sources.map((s, i) => {
    const values = followed?.activity[i];
    return { ...s, activity: followed && values ? { fps: followed.fps, fromSec: followed.fromSec, values } : null };
  });
}

export async function separate(file: string, queries: SourceQuery[], opts: SeparateOptions): Promise<SeparationResult> {
  const t0 = performance.now();
  const { runtime: rt, cache, info, signal } = opts;
  requireAudio(info);
  const card = rt.card;
  const a = card.audio;
  const mode: MaskMode = opts.mask ?? 'soft';
  const format: WavFormat = opts.format ?? 'wav16';
  const windowHop = opts.windowHop ?? DEFAULT_WINDOW_HOP;
  if (!(Number.isInteger(windowHop) && windowHop % a.hop === 0 && windowHop > 0 && windowHop <= a.windowSamples + 1)) {
    throw new SeparationError(`window hop must be a multiple of ${a.hop} up to ${a.windowSamples + 1}, got ${windowHop}`);
  }
  const { inputs: sources, warnings } = await composeSources(card, cache, queries);
  const plan: StagePlan = planStages(card, (s) => rt.has(s), opts.stages, anyPoint(queries));
  const rate = info.audio.sampleRate;
  const channels = info.audio.channels;
  const startSec = Math.max(0, opts.startSec ?? 0);
  const durationSec = opts.durationSec;
  const totalSec = Math.max(1e-3, (durationSec ?? Math.max(0, info.durationSec - startSec)) || 1e-3);

  // Model windows from the one that covers startSec; decode the mono track from its start.
  const startModelSample = Math.round(startSec * a.sampleRate);
  const firstWindow = Math.max(0, Math.floor((startModelSample - (a.windowSamples - windowHop)) / windowHop));
  const firstWindowStart = firstWindow * windowHop;
  const lastModelSample = durationSec === undefined ? Infinity : Math.ceil((startSec + durationSec) * a.sampleRate);
  // The last window needed is the last one that starts at or before the last model frame used
  // (one past the range's end, for interpolation).
  const lastWindow = Number.isFinite(lastModelSample) ? Math.floor((Math.ceil(lastModelSample / a.hop) + 1) / (windowHop / a.hop)) : Infinity;
  const monoDuration = Number.isFinite(lastModelSample) ? (lastWindow * windowHop + a.windowSamples - firstWindowStart) / a.sampleRate : undefined;
  const span: WindowSpan = {
    windowHop,
    firstWindow,
    lastWindow: Number.isFinite(lastWindow) ? lastWindow : null,
    monoDuration: monoDuration ?? null,
  };
  // The clicked sources' masks are shared by how each one moves in the picture over the range
  // asked for (the windows reach beyond it, but only its audio is written), followed while the
  // first masks are computed; a refinement that reads the sources' activities waits for them.
  const readsActivity = plan.refiners.some((r) => r.readsActivity);
  const clicks = queries.map(picturePoint);
  const shares = opts.movement !== false && clicks.filter((c) => c !== null).length >= 2;
  const sharedSpan = { fromSec: startSec, toSec: durationSec === undefined ? null : startSec + durationSec };
  const followed =
    shares || readsActivity ? followSources(file, info, clicks, { ...sharedSpan, signal, copy: cache?.trackingCopy }) : Promise.resolve(null);
  // Its failure is reported where it is awaited; a failure of the masks first must not leave it unhandled.
  followed.catch(() => {});
  const share = shares ? followed.then((f) => movementShare(f, a, sharedSpan)) : Promise.resolve(null);
  share.catch(() => {});
  const windowSources = readsActivity ? withActivity(sources, await followed) : sources;
  const windows: AsyncIterable<MaskWindow> =
    opts.pipeline ?? true
      ? workerMasks({ modelDir: card.dir, device: rt.provider, file, info, cacheDir: cache?.dir ?? null, sources: windowSources, stages: opts.stages ?? null, ...span }, signal)
      : maskWindows(file, info, span, { runtime: rt, cache, plan, sources: windowSources }, signal);
  const track = new ModelMaskTrack(
    windows,
    async (w) => {
      check(signal);
      const s = await share;
      return s ? s.apply(w.masks, w.start, w.appearance, w.magnitude) : w.masks;
    },
    sources.length,
    a.bins,
    a.frames,
    a.hop,
    windowHop,
    mode,
    firstWindowStart / a.hop,
  );

  const grid = fullRateGrid(rate, a);
  const map = binMap(grid, a);
  const outputs = sources.length;
  const synth = new FullRateSynth(grid, channels, sources.length);
  const scratch = new Float32Array(a.bins);
  const modelFramePos = (i: number) => (startSec + synth.frameTime(i)) * (a.sampleRate / a.hop);

  await fsp.mkdir(opts.outDir, { recursive: true });
  const names = [...sources.map((_, i) => `source-${i + 1}.wav`), 'residual.wav'];
  const writers: WavWriter[] = [];
  let firstAudioSec: number | null = null;
  let written = 0;
  try {
    for (const n of names) writers.push(await createWavWriter(path.join(opts.outDir, n), { sampleRate: rate, channels, format }));
    const sink = {
      write: async (out: Float32Array[][]) => {
        await Promise.all(out.map((chs, o) => writers[o].write(chs)));
        written += out[0][0].length;
        if (firstAudioSec === null && written >= Math.min(10 * rate, Math.floor(totalSec * rate) - 1)) firstAudioSec = (performance.now() - t0) / 1000;
      },
    };
    const computeReady = async () => {
      while (synth.canCompute(synth.next)) {
        const p = modelFramePos(synth.next);
        const j0 = Math.floor(p);
        await track.ensure(j0 + 1);
        const tw = p - j0;
        synth.computeFrame((out) => interpolateFrame(track.frame(j0), track.frame(j0 + 1), tw, outputs, a.bins, map, out, scratch));
        track.release(j0 - 1);
        if (synth.next % 32 === 0) {
          await synth.drain(sink);
          check(signal);
          opts.onProgress?.('separating', Math.min(0.999, written / rate / totalSec));
        }
      }
    };
    for await (const chunk of decodeAudioStream(file, { info, signal, startSec: startSec || undefined, durationSec, chunkFrames: 65536 })) {
      check(signal);
      synth.push(chunk.channels);
      await computeReady();
    }
    synth.end();
    await computeReady();
    await synth.drain(sink, true);
    check(signal);
    requireWholeAudio(file, info, written / rate, startSec, durationSec);
    for (const w of writers) await w.close();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort().catch(() => undefined)));
    throw err;
  }
  const frames = writers[0].framesWritten;
  const clipped = writers.map((w, i) => ({ file: names[i], samples: w.clippedSamples })).filter((c) => c.samples > 0);
  let activity: SeparationResult['activity'] = null;
  if (cache) {
    const fps = cache.meta.fps;
    const firstFrame = Math.floor(startSec * fps);
    const frameCount = durationSec === undefined ? cache.meta.frames - firstFrame : Math.ceil(durationSec * fps);
    activity = { fps, startFrame: firstFrame, values: await sourceActivity(cache, sources, firstFrame, frameCount) };
  }
  return {
    sources: queries.map((q, i) => {
      const cell = sources[i].cell;
      return { index: i + 1, point: pointOf(q), className: q.className ?? null, frame: cell?.frame ?? null, cell: cell ? [cell.row, cell.col] : null, file: names[i] };
    }),
    residual: names[names.length - 1],
    sampleRate: rate,
    channels,
    frames,
    startSec,
    mask: mode,
    format,
    windowHop,
    grid: { hop: grid.hop, window: grid.win, nFft: grid.nFft },
    stages: { used: plan.used, skipped: plan.skipped },
    activity,
    warnings,
    timings: { separateSec: (performance.now() - t0) / 1000, firstAudioSec },
    clipped,
  };
}

/**
 * A file cut short (a partial download, a copy that stopped) still probes as its full length, and
 * one truncated while it is read just ends early: compare what was decoded with what the file
 * says it holds, so short stems are never handed over as the whole clip.
 */
export function requireWholeAudio(file: string, info: MediaInfo, decodedSec: number, startSec: number, durationSec: number | undefined): void {
  const stated = info.audio?.durationSec ?? info.durationSec;
  const expected = durationSec ?? Math.max(0, stated - startSec);
  const tolerance = Math.max(0.5, 0.02 * expected);
  if (expected - decodedSec > tolerance) {
    throw new SeparationError(
      `${path.basename(file)} holds only ${decodedSec.toFixed(1)} s of audio where it says ${expected.toFixed(1)} s: the file is cut short or damaged. Copy or download it again, then retry.`,
    );
  }
}
