import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { tempPathFor } from '../fs/atomic';
import { publishStaged } from '../fs/publish';
import { AppError, Cancelled } from '../../../shared/errors';
import { defineJob } from '../jobs/define';
import { probeMedia, requireAudio, requireVideo } from '../media/probe';
import type { WavFormat } from '../media/wav';
import type { MaskMode } from '../dsp/masks';
import { analyzeMedia } from '../analysis/analyze';
import { snapshotIndex, type IndexSnapshot } from '../analysis/index-records';
import { sharedRuntime, type DeviceRequest } from '../models/runtime';
import { anyPoint, pointOf, realFootageQueries, validateQueries, type SourceQuery } from './query';
import { sniffScene } from '../detect/scene';
import { detectMedia } from '../detect/detect';
import type { SceneSetting } from '../project/types';
import { stopMaskWorker } from './mask-client';
import { readDetections, type Detections } from '../detect/detect';
import { faceTrackAt } from '../detect/activity';
import { sameQueryGroups, sourcesActivity } from './source-activity';
import { shareByActivity } from './activity-share';
import { enhanceSpeakerStems, speakerIndices, type DialogueSource } from './dialogue';
import { DEFAULT_ENHANCER_AMOUNT } from '../../../shared/stem-edit';
import { separate, type SeparationResult } from './separate';

/**
 * Job kind 'separation' (JobRunner): analysis (cached; only when a source has a point in the
 * picture) then separation of the sources;
 * writes the stems and manifest.json into outDir and returns the manifest. The stems are written
 * into a hidden staging folder beside outDir and published with manifest.json last (see
 * publishStaged), so outDir never mixes a run's stems with an older run's, and a folder holds a
 * manifest only when every stem it lists is complete.
 */

/** Frames a second of a face's activity when no heatmap sets the rate (the analysis's rate). */
const FACE_ACTIVITY_FPS = 8;
/** Values a second of the activity that shares a group's stems (activity-share.ts). */
const SHARE_FPS = 8;

export interface SeparationJobParams {
  media: string;
  sources: SourceQuery[];
  outDir: string;
  format?: WavFormat;
  mask?: MaskMode;
  device?: DeviceRequest;
  modelDir?: string;
  cacheRoot?: string;
  windowHop?: number;
  startSec?: number;
  durationSec?: number;
  /** The library's analyses of this media (the app): the job reports its cache back as records. */
  index?: IndexSnapshot;
  /**
   * Keep each speaker's stem as separated, before the speech enhancer, beside the cleaned one
   * (the app: a stem edit cleans it again at another strength); the CLI's folder holds stems only.
   */
  keepSeparated?: boolean;
  /**
   * The media's detections (real footage): a source clicked on a face is a speaker, and shows that
   * face's speaking as its activity instead of the heatmap at its click.
   */
  detections?: string;
  /**
   * What the picture is: the app passes what its analysis decided; 'auto' (the default, e.g. the
   * CLI) lets the scene rule decide when a source is clicked or asked for as a speaker. On real
   * footage the clicks become queries by class (realFootageQueries), detecting faces over the clip
   * when needed, and every speaker's stem is cleaned by the speech enhancer (dialogue.ts) at the
   * default strength's amount.
   */
  scene?: SceneSetting;
}

export interface Manifest {
  stemsight: string;
  media: { path: string; durationSec: number; sampleRate: number; channels: number };
  model: { name: string; version: string; sha256: string; stages: string[]; skippedStages: { stage: string; reason: string }[] };
  device: { requested: DeviceRequest; provider: string; notice: string | null };
  /** Each source's query: its click (x, y and the time `at`; null when asked for by name alone) and class. */
  parameters: { sources: { x: number | null; y: number | null; at: number | null; class: string | null }[]; dialogue: DialogueSource[]; format: WavFormat; mask: MaskMode; windowHop: number; startSec: number; durationSec: number | null; fullRateStft: SeparationResult['grid'] };
  stems: {
    /** frame and cell: where the click's features came from; null for a source without a click. */
    sources: { index: number; file: string; frame: number | null; cell: [number, number] | null }[];
    residual: string;
    sampleRate: number;
    channels: number;
    frames: number;
    /** Stems whose samples went beyond full scale and were clipped (wav16/wav24 only). */
    clipped: { file: string; samples: number }[];
  };
  /** Where each clicked source sounds over time (sources without a click have none); null when no source has a point. */
  activity: { fps: number; startTime: number; sources: { index: number; values: number[] }[] } | null;
  /** What the user must be told about the result (e.g. a class name the model could not use). */
  warnings: string[];
  timings: { analysisSec: number; analysisCached: boolean; separateSec: number; firstAudioSec: number | null; totalSec: number };
}

/** Indented JSON with number arrays (activity) kept on one line each. */
export function manifestJson(m: Manifest): string {
  const text = JSON.stringify(m, (_k, v: unknown) => (Array.isArray(v) && v.length > 2 && v.every((n) => typeof n === 'number') ? `#NUMS${JSON.stringify(v)}` : v), 1);
  return text.replace(/"#NUMS(\[[^"]*\])"/g, '$1') + '\n';
}

/**
 * The stems of an earlier run in `dir`: those its manifest lists, and any file with a stem's name
 * (a run killed while publishing leaves stems without a manifest).
 */
async function previousStems(dir: string): Promise<string[]> {
  const st = await fsp.lstat(dir).catch(() => null);
  if (!st) return [];
  if (!st.isDirectory()) throw new AppError('bad_request', `${dir} is a file, not a folder; choose another --out folder.`);
  const names = (await fsp.readdir(dir)).filter((f) => /^(source-\d+(\.separated)?|residual)\.wav$/.test(f));
  try {
    const old = JSON.parse(await fsp.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Partial<Manifest>;
    names.push(...(old.stems?.sources ?? []).map((s) => s.file), old.stems?.residual ?? '', ...(old.parameters?.dialogue ?? []).flatMap((d) => (d.separated ? [d.separated] : [])));
  } catch {
    // no manifest (or not ours): only the stem-named files
  }
  return names;
}

export default defineJob<SeparationJobParams, Manifest>(async (p, ctx) => {
  const t0 = performance.now();
  try {
    const rt = await sharedRuntime({ dir: p.modelDir, device: p.device });
    validateQueries(p.sources, rt.card);
    const info = await probeMedia(p.media, { signal: ctx.signal });
    requireAudio(info);
    let queries = p.sources;
    let detectionsFile = p.detections ?? null;
    let detections: Detections | null = null;
    const realWarnings: string[] = [];
    const clicked = queries.some((q) => pointOf(q));
    // Only clicks and speakers depend on what the picture is; a clip without a picture is taken as it is.
    let real = false;
    if ((clicked || speakerIndices(queries).length > 0) && info.video) {
      const setting = p.scene ?? (detectionsFile ? 'real' : 'auto');
      const kind = setting === 'auto' ? (await sniffScene(p.media, { info, cacheRoot: p.cacheRoot, signal: ctx.signal })).kind : setting;
      real = kind === 'real';
      if (real && clicked) {
        ctx.progress('finding faces', 0);
        detectionsFile ??= (await detectMedia(p.media, { info, cacheRoot: p.cacheRoot, signal: ctx.signal })).path;
        detections = await readDetections(detectionsFile);
        const frames = detections?.frames ?? [];
        const byClass = realFootageQueries(queries, (x, y, t) => faceTrackAt(frames, x, y, t));
        queries = byClass.queries;
        realWarnings.push(...byClass.warnings);
      }
    }
    // The picture is analysed only for sources that use it; names alone need no picture.
    const pictured = anyPoint(queries);
    if (pictured) requireVideo(info);
    let share = pictured ? 0.75 : 0;
    const index = p.index ? snapshotIndex(p.index, rt.card, (r) => ctx.record(r)) : undefined;
    const a = pictured
      ? await analyzeMedia(p.media, {
          runtime: rt,
          info,
          cacheRoot: p.cacheRoot,
          index,
          signal: ctx.signal,
          // A cached analysis reports 1 at once and then counts for nothing (share 0 below): leave
          // it out, so the separation's progress starts from where the bar is.
          onProgress: (s, f) => f < 1 && ctx.progress(s, f * share),
        })
      : null;
    if (a?.cached) share = 0;
    const target = path.resolve(p.outDir);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const staging = tempPathFor(target);
    await fsp.mkdir(staging);
    try {
      const r = await separate(p.media, queries, {
        runtime: rt,
        cache: a?.cache ?? null,
        info,
        outDir: staging,
        format: p.format,
        mask: p.mask,
        windowHop: p.windowHop,
        startSec: p.startSec,
        durationSec: p.durationSec,
        signal: ctx.signal,
        onProgress: (s, f) => ctx.progress(s, share + (1 - share) * f),
      });
      const d = detections ?? (detectionsFile ? await readDetections(detectionsFile) : null);
      const span = { startSec: r.startSec, durationSec: r.frames / r.sampleRate };
      const activity = d ? await sourcesActivity({ file: p.media, info, trackingCopy: a?.cache.trackingCopy }, d.frames, queries, r.sources.map((s) => s.point), span, ctx.signal) : null;
      if (activity) {
        // Sources asked for alike are told apart by who moves when (activity-share.ts).
        const times = Array.from({ length: Math.ceil((r.frames / r.sampleRate) * SHARE_FPS) }, (_, i) => r.startSec + (i + 0.5) / SHARE_FPS);
        const groups = sameQueryGroups(queries).map((g) => g.flatMap((i) => (activity.of[i] ? [{ index: i + 1, activity: activity.of[i]!(times) }] : [])));
        if (groups.some((g) => g.length > 1)) {
          ctx.progress('sharing by activity', 0.998);
          const shared = await shareByActivity(staging, groups, SHARE_FPS, r.format);
          const rewritten = new Set(groups.flatMap((g) => (g.length > 1 ? g.map((m) => `source-${m.index}.wav`) : [])));
          r.clipped = [...r.clipped.filter((c) => !rewritten.has(c.file)), ...shared];
        }
      }
      let dialogue: DialogueSource[] = [];
      const speakers = real ? speakerIndices(queries) : [];
      if (speakers.length > 0) {
        ctx.progress('cleaning dialogue', 0.999);
        const cleaned = await enhanceSpeakerStems(staging, speakers, { amount: DEFAULT_ENHANCER_AMOUNT, format: r.format, keepSeparated: p.keepSeparated ?? false });
        dialogue = cleaned.dialogue;
        const rewritten = new Set(['residual.wav', ...speakers.map((i) => `source-${i}.wav`)]);
        r.clipped = [...r.clipped.filter((c) => !rewritten.has(c.file)), ...cleaned.clipped];
      }
      const separatedFiles = dialogue.flatMap((d) => (d.separated ? [d.separated] : []));
      if (activity && activity.of.some((f) => f !== null)) {
        // A source on a face is active when that face speaks, one on a person when they move.
        // With no source using the picture there is no heatmap activity to sit beside: these go
        // on the analysis's frame rate.
        r.activity ??= {
          fps: FACE_ACTIVITY_FPS,
          startFrame: Math.floor(r.startSec * FACE_ACTIVITY_FPS),
          values: r.sources.map(() => null),
        };
        const { fps, startFrame, values } = r.activity;
        const count = values.find((v) => v !== null)?.length ?? Math.ceil((r.frames / r.sampleRate) * fps);
        const times = Array.from({ length: count }, (_, i) => (startFrame + i + 0.5) / fps);
        activity.of.forEach((over, i) => {
          if (over) values[i] = over(times).map((v) => Math.round(v * 1000) / 1000);
        });
      }
      const manifest: Manifest = {
        stemsight: 'separation manifest v1',
        media: { path: path.resolve(p.media), durationSec: info.durationSec, sampleRate: r.sampleRate, channels: r.channels },
        model: { name: rt.card.name, version: rt.card.modelVersion, sha256: rt.card.sha256, stages: r.stages.used, skippedStages: r.stages.skipped },
        device: { requested: p.device ?? 'auto', provider: rt.provider, notice: rt.notice },
        parameters: {
          sources: r.sources.map((s) => ({ x: s.point?.x ?? null, y: s.point?.y ?? null, at: s.point?.timeSec ?? null, class: s.className })),
          dialogue,
          format: r.format,
          mask: r.mask,
          windowHop: r.windowHop,
          startSec: r.startSec,
          durationSec: p.durationSec ?? null,
          fullRateStft: r.grid,
        },
        stems: {
          sources: r.sources.map((s) => ({ index: s.index, file: s.file, frame: s.frame, cell: s.cell })),
          residual: r.residual,
          sampleRate: r.sampleRate,
          channels: r.channels,
          frames: r.frames,
          clipped: r.clipped,
        },
        activity: r.activity && {
          fps: r.activity.fps,
          startTime: r.activity.startFrame / r.activity.fps,
          sources: r.activity.values.flatMap((values, i) => (values ? [{ index: i + 1, values }] : [])),
        },
        warnings: [...realWarnings, ...r.warnings],
        timings: { analysisSec: a?.seconds ?? 0, analysisCached: a?.cached ?? false, separateSec: r.timings.separateSec, firstAudioSec: r.timings.firstAudioSec, totalSec: (performance.now() - t0) / 1000 },
      };
      if (ctx.signal.aborted) throw new Cancelled();
      await publishStaged({
        staging,
        target,
        files: [...r.sources.map((s) => s.file), r.residual, ...separatedFiles],
        marker: { name: 'manifest.json', content: manifestJson(manifest) },
        previous: await previousStems(target),
      });
      return manifest;
    } catch (err) {
      await fsp.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    } finally {
      await a?.cache.close();
    }
  } finally {
    await stopMaskWorker();
  }
});
