import { defineJob, JobError } from '../jobs/define';
import { probeMedia, requireAudio, requireVideo } from '../media/probe';
import { isMediaError } from '../media/errors';
import { isModelError } from '../models/errors';
import { sharedRuntime, type DeviceRequest } from '../models/runtime';
import { analyzeMedia } from './analyze';
import { snapshotIndex, type IndexSnapshot } from './index-records';
import { writeLocalization, type LocalizeOutput } from './localize';

/**
 * Job kind 'analysis' (JobRunner): analyse a media file (cached), and with localizeOut also write
 * heatmaps.json and the PNG overlays there.
 */

export interface AnalysisJobParams {
  media: string;
  device?: DeviceRequest;
  modelDir?: string;
  cacheRoot?: string;
  localizeOut?: string;
  /** The library's analyses of this media (the app): the job reports its cache back as records. The CLI needs none. */
  index?: IndexSnapshot;
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
}

/** Known failures become JobErrors: one line for the user. */
export function userFacing(err: unknown): unknown {
  if (isMediaError(err, 'CANCELLED')) return err;
  if (isMediaError(err) || isModelError(err) || (err as Error | undefined)?.name === 'SeparationError') return new JobError((err as Error).message);
  return err;
}

export default defineJob<AnalysisJobParams, AnalysisJobResult>(async (p, ctx) => {
  try {
    const rt = await sharedRuntime({ dir: p.modelDir, device: p.device });
    const info = await probeMedia(p.media, { signal: ctx.signal });
    requireAudio(info);
    requireVideo(info);
    const share = p.localizeOut ? 0.8 : 1;
    const index = p.index ? snapshotIndex(p.index, rt.card, (r) => ctx.record(r)) : undefined;
    const r = await analyzeMedia(p.media, { runtime: rt, info, cacheRoot: p.cacheRoot, index, signal: ctx.signal, onProgress: (s, f) => ctx.progress(s, f * share) });
    let localize: LocalizeOutput | null = null;
    if (p.localizeOut) localize = await writeLocalization(p.media, r.cache, info, p.localizeOut, { signal: ctx.signal, onProgress: (s, f) => ctx.progress(s, share + (1 - share) * f) });
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
    };
  } catch (err) {
    throw userFacing(err);
  }
});
