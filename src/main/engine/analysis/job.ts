import { defineJob } from '../jobs/define';
import { probeMedia, requireAudio, requireVideo } from '../media/probe';
import { sharedRuntime, type DeviceRequest } from '../models/runtime';
import { detectMedia, readDetections } from '../detect/detect';
import { speakingHeat } from '../detect/activity';
import { defaultDetectWorkers, preloadDetectWorkers } from '../detect/pool';
import { DEFAULT_DETECTOR } from '../detect/registry';
import { sniffScene, type SceneKind, type SceneVerdict } from '../detect/scene';
import { analyzeMedia } from './analyze';
import { snapshotIndex, type IndexSnapshot } from './index-records';
import { writeLocalization, type LocalizeOutput } from './localize';

/**
 * Job kind 'analysis' (JobRunner): analyse a media file (cached); on real footage (as the user set
 * it, or as the scene rule decides when set to auto) also run the real-picture front end (faces,
 * people, hands, speaking; cached too); with localizeOut write heatmaps.json and the PNG overlays there.
 */

/** What the user says a media's picture is; 'auto' lets the scene rule (detect/scene.ts) decide. */
export type SceneSetting = 'auto' | SceneKind;

export interface AnalysisJobParams {
  media: string;
  device?: DeviceRequest;
  modelDir?: string;
  cacheRoot?: string;
  localizeOut?: string;
  /** The library's analyses of this media (the app): the job reports its cache back as records. The CLI needs none. */
  index?: IndexSnapshot;
  /**
   * Synthetic scene or real footage (default 'synthetic': the appearance analysis only). Real
   * footage also detects faces (mouths, speaking), people and hands over time (engine/detect).
   */
  scene?: SceneSetting;
}

export interface AnalysisJobResult {
  cacheDir: string;
  cached: boolean;
  analysisSec: number;
  frames: number;
  fps: number;
  provider: string;
  notice: string | null;
  model: { name: string; version: string; sha256: string };
  localize: LocalizeOutput | null;
  /** What the picture was taken for: as set, or as the rule decided (with its evidence) on 'auto'. */
  scene: { setting: SceneSetting; kind: SceneKind; verdict: SceneVerdict | null };
  /** The detections' cache file and what it holds, on real footage. */
  detections: { path: string; cached: boolean; frames: number; tracks: number } | null;
}

/** The look's part of its half of the progress (the detection that may follow takes the rest). */
const LOOK_SHARE = 0.2;

export default defineJob<AnalysisJobParams, AnalysisJobResult>(async (p, ctx) => {
  const rt = await sharedRuntime({ dir: p.modelDir, device: p.device });
  const info = await probeMedia(p.media, { signal: ctx.signal });
  requireAudio(info);
  requireVideo(info);
  const setting = p.scene ?? 'synthetic';
  // Shares of the job's progress: the analysis, and the look at the picture with the detection
  // (side by side), then the localization files.
  const share = p.localizeOut ? 0.8 : 1;
  const analysisShare = setting === 'synthetic' ? share : share / 2;
  const index = p.index ? snapshotIndex(p.index, rt.card, (r) => ctx.record(r)) : undefined;
  // The appearance analysis (ONNX Runtime, here) is needed whatever the picture is: it starts at
  // once, beside the look at the picture and the detection, whose detectors run in worker threads
  // of their own. The first failure stops the other.
  const both = new AbortController();
  const onAbort = () => both.abort();
  if (ctx.signal.aborted) both.abort();
  ctx.signal.addEventListener('abort', onAbort);
  const done = { analysis: 0, detection: 0 };
  const report = (stage: string) => ctx.progress(stage, analysisShare * done.analysis + (share - analysisShare) * done.detection);
  const stopBoth = (err: unknown): never => {
    both.abort();
    throw err;
  };
  let verdict: SceneVerdict | null = null;
  const lookThenDetect = async () => {
    if (setting === 'auto') {
      report('looking at the picture');
      // Once people are seen, the other detector workers load while the look goes on.
      const preload = () => void preloadDetectWorkers(DEFAULT_DETECTOR, defaultDetectWorkers(), both.signal).catch(() => undefined);
      verdict = await sniffScene(p.media, { info, cacheRoot: p.cacheRoot, signal: both.signal, onPeopleSeen: preload });
      done.detection = LOOK_SHARE;
    }
    const kind: SceneKind = verdict?.kind ?? (setting === 'auto' ? 'synthetic' : setting);
    if (kind !== 'real') {
      done.detection = 1;
      return { kind, outcome: null };
    }
    const from = done.detection;
    const outcome = await detectMedia(p.media, { info, cacheRoot: p.cacheRoot, signal: both.signal, onProgress: (s, f) => ((done.detection = from + (1 - from) * f), report(s)) });
    return { kind, outcome };
  };
  const [r, { kind, outcome: d }] = await Promise.all([
    analyzeMedia(p.media, { runtime: rt, info, cacheRoot: p.cacheRoot, index, signal: both.signal, onProgress: (s, f) => ((done.analysis = f), report(s)) }).catch(stopBoth),
    setting === 'synthetic' ? { kind: 'synthetic' as const, outcome: null } : lookThenDetect().catch(stopBoth),
  ]).finally(() => ctx.signal.removeEventListener('abort', onAbort));
  let detections: AnalysisJobResult['detections'] = null;
  if (d) {
    const tracks = new Set(d.detections.frames.flatMap((f) => f.objects.map((o) => o.track))).size;
    detections = { path: d.path, cached: d.cached, frames: d.detections.frames.length, tracks };
  }
  let localize: LocalizeOutput | null = null;
  if (p.localizeOut) {
    // On real footage the heatmaps show who speaks: the network's mean nothing on real pictures.
    const faces = detections ? ((await readDetections(detections.path))?.frames ?? []) : null;
    const heat = faces ? (t: number, rows: number, cols: number) => speakingHeat(faces, t, rows, cols) : undefined;
    localize = await writeLocalization(p.media, r.cache, info, p.localizeOut, { signal: ctx.signal, heat, onProgress: (s, f) => ctx.progress(s, share + (1 - share) * f) });
  }
  await r.cache.close();
  return {
    cacheDir: r.cache.dir,
    cached: r.cached,
    analysisSec: r.seconds,
    frames: r.cache.meta.frames,
    fps: r.cache.meta.fps,
    provider: rt.provider,
    notice: rt.notice,
    model: { name: rt.card.name, version: rt.card.modelVersion, sha256: rt.card.sha256 },
    localize,
    scene: { setting, kind, verdict },
    detections,
  };
});
