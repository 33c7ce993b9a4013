import { serveStreams } from '../jobs/stream-worker';
import type { MediaInfo } from '../media/probe';
import { AnalysisCache } from '../analysis/cache';
import { ModelRuntime, type DeviceRequest } from '../models/runtime';
import { planStages, type SourceInput } from '../stages';
import { maskWindows, type MaskWindow, type WindowSpan } from './mask-windows';

/**
 * Worker thread that computes model-rate masks window by window (ONNX Runtime blocks the thread it
 * runs on), so the separation thread turns them into full-rate stems at the same time: on two
 * cores the model and the FFTs overlap instead of taking turns. A stream worker (jobs/): it keeps
 * its sessions until stopped, so later separations from the same thread start at once.
 */

export interface MaskRequest extends WindowSpan {
  modelDir: string;
  device: DeviceRequest;
  threads: number;
  file: string;
  info: MediaInfo;
  /** Null when no source has a point (nothing reads the analysis). */
  cacheDir: string | null;
  sources: SourceInput[];
  /** Restrict the card's stages (default: all it declares). */
  stages: string[] | null;
}

const runtimes = new Map<string, Promise<ModelRuntime>>();

function runtime(req: MaskRequest): Promise<ModelRuntime> {
  const key = `${req.modelDir}|${req.device}|${req.threads}`;
  let p = runtimes.get(key);
  if (!p) {
    p = ModelRuntime.create({ dir: req.modelDir, device: req.device, threads: req.threads, sessions: undefined });
    runtimes.set(key, p);
    p.catch(() => runtimes.delete(key));
  }
  return p;
}

async function* masks(req: MaskRequest, signal: AbortSignal): AsyncGenerator<MaskWindow> {
  const rt = await runtime(req);
  const cache = req.cacheDir === null ? null : await AnalysisCache.open(req.cacheDir);
  if (req.cacheDir !== null && !cache) throw new Error(`analysis cache ${req.cacheDir} is gone`);
  try {
    const plan = planStages(rt.card, (s) => rt.has(s), req.stages ?? undefined, req.sources.some((s) => s.cell !== null));
    yield* maskWindows(req.file, req.info, req, { runtime: rt, cache, plan, sources: req.sources }, signal);
  } finally {
    await cache?.close();
  }
}

serveStreams<MaskRequest, MaskWindow>({
  stream: masks,
  transfer: (w) => [w.masks.buffer as ArrayBuffer, w.magnitude.buffer as ArrayBuffer, ...(w.appearance ? [w.appearance.buffer as ArrayBuffer] : [])],
  async close() {
    for (const p of runtimes.values()) await (await p.catch(() => null))?.release();
  },
});
