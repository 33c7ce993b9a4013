import { Cancelled } from '../../../shared/errors';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { openFrames, type VideoFrame } from '../media/frames';
import { TRACKING_COPY, trackingCopyTarget } from '../media/tracking-view';
import { MediaError } from '../media/errors';
import { probeMedia, requireAudio, requireVideo, type MediaInfo } from '../media/probe';
import { fingerprintFile } from '../project/fingerprint';
import type { MediaFingerprint } from '../project/types';
import type { ModelRuntime } from '../models/runtime';
import { AnalysisCache, CACHE_FORMAT, cacheDirFor, defaultCacheRoot, type AnalysisMeta } from './cache';
import { analysisExtensions } from '../stages';
import { encodeHalf } from './half';
import { frameSpans, monoChunks, slideWindows, windowMagnitude } from './windows';
import { cellMovement } from './pointing';
import { Displacement, restSpan } from './displacement';

/**
 * Analysis of one media file: every video frame at the model's rate through the visual session,
 * and per-frame localization heatmaps (the audio of each model window against the frames inside
 * it). Streaming: one model window of audio and its frames in memory at a time; results go to the
 * cache files as they are made.
 */

export type ProgressFn = (stage: string, fraction: number) => void;

export interface AnalysisIndex {
  /** A cache folder the index already knows for this media and model (checked before use). */
  lookup?(): string | null | Promise<string | null>;
  begin?(): void | Promise<void>;
  complete?(metaPath: string): void | Promise<void>;
  fail?(message: string): void | Promise<void>;
}

export interface AnalyzeOptions {
  runtime: ModelRuntime;
  cacheRoot?: string;
  info?: MediaInfo;
  fingerprint?: MediaFingerprint;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Database index of caches (project/analyses); the disk cache works without it. */
  index?: AnalysisIndex;
  /** Frames per visual batch (default 32). */
  batch?: number;
}

export interface AnalysisOutcome {
  cache: AnalysisCache;
  /** True when the cache already existed (nothing was computed). */
  cached: boolean;
  seconds: number;
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Cancelled();
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values as little-endian bytes (a view of them on little-endian machines). */
function float32LE(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i], 4 * i);
  return b;
}

/** Planar G, B, R bytes (ffmpeg gbrp) -> CHW float32 0..255 (RGB) at `offset` frames into `out`. */
function toChw(gbr: Uint8Array, width: number, height: number, out: Float32Array, offset: number): void {
  const plane = width * height;
  const base = offset * 3 * plane;
  // Typed-array set converts uint8 -> float32 natively.
  out.set(gbr.subarray(2 * plane, 3 * plane), base);
  out.set(gbr.subarray(0, plane), base + plane);
  out.set(gbr.subarray(plane, 2 * plane), base + 2 * plane);
}

export async function analyzeMedia(file: string, opts: AnalyzeOptions): Promise<AnalysisOutcome> {
  const t0 = performance.now();
  const { runtime: rt, signal } = opts;
  const card = rt.card;
  const info = opts.info ?? (await probeMedia(file, { signal }));
  requireAudio(info);
  requireVideo(info);
  const fp = opts.fingerprint ?? (await fingerprintFile(file));
  const root = opts.cacheRoot ?? defaultCacheRoot();
  const dir = cacheDirFor(root, fp.quickHash, fp.size, card.sha256);

  const known = await opts.index?.lookup?.();
  for (const candidate of known ? [path.dirname(known), dir] : [dir]) {
    const hit = await AnalysisCache.open(candidate);
    if (hit && hit.meta.model.sha256 === card.sha256 && hit.meta.media.quickHash === fp.quickHash) {
      if (!known) await opts.index?.complete?.(hit.metaPath);
      opts.onProgress?.('analysing', 1);
      return { cache: hit, cached: true, seconds: (performance.now() - t0) / 1000 };
    }
    await hit?.close();
  }

  await opts.index?.begin?.();
  await fsp.mkdir(root, { recursive: true });
  // The pid in the name lets a sweep tell a crashed writer's folder from one being written.
  const tmp = await fsp.mkdtemp(path.join(root, `.partial-${process.pid}-`));
  try {
    const meta = await compute(file, info, fp, tmp, opts);
    meta.seconds = (performance.now() - t0) / 1000;
    await fsp.writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 1));
    try {
      await fsp.rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const there = await AnalysisCache.open(dir);
      if (there) {
        // Someone else finished the same analysis first: keep theirs.
        await there.close();
        await fsp.rm(tmp, { recursive: true, force: true });
      } else {
        // A cache this version cannot read (an older format): replace it.
        await fsp.rm(dir, { recursive: true, force: true });
        await fsp.rename(tmp, dir);
      }
    }
    const cache = await AnalysisCache.open(dir);
    if (!cache) throw new Error(`analysis cache ${dir} could not be read back`);
    await opts.index?.complete?.(cache.metaPath);
    return { cache, cached: false, seconds: meta.seconds };
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (!signal?.aborted) await opts.index?.fail?.(err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function compute(file: string, info: MediaInfo & { audio: object; video: object }, fp: MediaFingerprint, dir: string, opts: AnalyzeOptions): Promise<AnalysisMeta> {
  const { runtime: rt, signal } = opts;
  const card = rt.card;
  const { fps, width, height, fit, grid, features } = card.video;
  const { sampleRate, windowSamples } = card.audio;
  const cells = grid[0] * grid[1];
  const batch = Math.max(1, opts.batch ?? 32); // larger batches run the visual session ~10 % faster per frame
  const duration = Math.max(info.durationSec, 1e-6);

  const extensions = analysisExtensions(card, (s) => rt.has(s));
  for (const e of extensions) await e.begin(dir, rt);
  // The tracker's own view of the picture, written from the same decode (media/tracking-view.ts).
  const copy = trackingCopyTarget(info, dir);
  const stream = await openFrames(file, { width, height, fps, fit, info, signal, layout: 'planar', ...(copy ? { copy } : {}) });
  const frames = stream.frames;
  const visualOut = await fsp.open(path.join(dir, 'visual.f16'), 'w');
  const heatOut = await fsp.open(path.join(dir, 'heatmaps.f32'), 'w');
  const movementOut = await fsp.open(path.join(dir, 'movement.f16'), 'w');
  const displacementOut = await fsp.open(path.join(dir, 'displacement.f16'), 'w');
  const displacement = new Displacement(width, height, grid, card.video.featureStride, restSpan(fps));
  // Its rows come a few seconds behind the frames (displacement.ts), in frame order.
  const writeDisplacement = async (rows: Float32Array[]) => {
    const all = new Float32Array(rows.length * cells);
    rows.forEach((r, i) => all.set(r, i * cells));
    if (rows.length) await displacementOut.write(encodeHalf(all));
  };
  let previousPixels: Uint8Array | null = null;
  let frameCount = 0;
  let pending: VideoFrame | null = null;
  let videoDone = false;
  const nextFrame = async (): Promise<VideoFrame | null> => {
    if (pending) {
      const f = pending;
      pending = null;
      return f;
    }
    if (videoDone) return null;
    const r = await frames.next();
    if (r.done) {
      videoDone = true;
      return null;
    }
    return r.value;
  };

  // Analysis windows do not overlap: each video frame belongs to the window holding its centre.
  const process = async (window: { start: number; samples: Float32Array } | null, last: boolean, audioFeatures: Awaited<ReturnType<ModelRuntime['audio']>> | null) => {
    const end = window ? (window.start + windowSamples) / sampleRate : Infinity;
    for (;;) {
      cancelled(signal);
      const group: VideoFrame[] = [];
      while (group.length < batch) {
        const f = await nextFrame();
        if (!f) break;
        if (!last && (f.index + 0.5) / fps >= end) {
          pending = f;
          break;
        }
        group.push(f);
      }
      if (group.length === 0) return;
      const input = new Float32Array(group.length * 3 * width * height);
      group.forEach((f, i) => toChw(f.pixels, width, height, input, i));
      const vis = await rt.visual(input, group.length);
      await visualOut.write(encodeHalf(vis));
      const movement = new Float32Array(group.length * cells);
      const rested: Float32Array[] = [];
      group.forEach((f, i) => {
        movement.set(cellMovement(previousPixels, f.pixels, width, height, 3, grid, card.video.featureStride), i * cells);
        previousPixels = f.pixels;
        rested.push(...displacement.add(f.pixels));
      });
      await movementOut.write(encodeHalf(movement));
      await writeDisplacement(rested);
      for (const e of extensions) {
        await e.batch({ frames: input, indices: group.map((f) => f.index), visual: vis, windowStart: window?.start ?? null, audio: audioFeatures });
      }
      let heat: Float32Array;
      if (audioFeatures && window) {
        const spans = frameSpans(card, window.start, group.map((f) => f.index), fps);
        heat = await rt.localize(audioFeatures, vis, spans, group.length);
      } else {
        heat = new Float32Array(group.length * cells);
      }
      await heatOut.write(float32LE(heat));
      frameCount += group.length;
      opts.onProgress?.('analysing', Math.min(0.999, frameCount / fps / duration));
      if (group.length < batch && (videoDone || pending)) return;
    }
  };

  try {
    let prev: { window: { start: number; samples: Float32Array }; feats: Awaited<ReturnType<ModelRuntime['audio']>> } | null = null;
    for await (const w of slideWindows(monoChunks(file, sampleRate, { info, signal }), windowSamples, windowSamples)) {
      cancelled(signal);
      if (prev) await process(prev.window, false, prev.feats);
      const feats = await rt.audio(windowMagnitude(card, w.samples));
      prev = { window: w, feats };
    }
    // The last window takes every remaining frame (video may outlast the audio a little).
    await process(prev?.window ?? null, true, prev?.feats ?? null);
    await writeDisplacement(displacement.finish());
  } catch (err) {
    for (const e of extensions) await e.abort().catch(() => undefined);
    throw err;
  } finally {
    await visualOut.close();
    await heatOut.close();
    await movementOut.close();
    await displacementOut.close();
    await frames.return(undefined);
  }
  cancelled(signal);
  const extraFiles: Record<string, string> = {};
  for (const e of extensions) Object.assign(extraFiles, await e.end());
  if (frameCount === 0) throw new MediaError('DECODE_FAILED', `${path.basename(file)} has no decodable video frames`, file);
  return {
    format: CACHE_FORMAT,
    media: { quickHash: fp.quickHash, size: fp.size, durationSec: info.durationSec, path: file },
    model: { name: card.name, version: card.modelVersion, sha256: card.sha256 },
    stages: ['appearance', ...extensions.map((e) => e.stage)],
    fps,
    frames: frameCount,
    features,
    grid: [grid[0], grid[1]],
    featureStride: card.video.featureStride,
    geometry: stream.geometry,
    files: { ...extraFiles, visual: 'visual.f16', heatmaps: 'heatmaps.f32', movement: 'movement.f16', displacement: 'displacement.f16', ...(copy ? { tracking: TRACKING_COPY } : {}) },
    seconds: 0,
    createdAt: new Date().toISOString(),
  };
}
