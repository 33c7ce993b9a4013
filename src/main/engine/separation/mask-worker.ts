import { parentPort } from 'node:worker_threads';
import type { MediaInfo } from '../media/probe';
import { AnalysisCache } from '../analysis/cache';
import { monoChunks, slideWindows, windowMagnitude } from '../analysis/windows';
import { ModelRuntime, type DeviceRequest } from '../models/runtime';
import { planStages, windowMasks, type SourceInput } from './stages';

/**
 * Worker thread that computes model-rate masks window by window (ONNX Runtime blocks the thread it
 * runs on), so the separation thread turns them into full-rate stems at the same time: on two
 * cores the model and the FFTs overlap instead of taking turns. The worker lives as long as its
 * owner thread and keeps its sessions, so later separations (previews) start at once.
 */

export interface MaskRequest {
  id: number;
  modelDir: string;
  device: DeviceRequest;
  threads: number;
  file: string;
  info: MediaInfo;
  cacheDir: string;
  sources: SourceInput[];
  windowHop: number;
  firstWindow: number;
  lastWindow: number | null;
  monoDuration: number | null;
  /** Windows computed ahead of the consumer. */
  ahead: number;
  /** Restrict the card's stages (default: all it declares). */
  stages: string[] | null;
}

/**
 * stop: finish the window in flight, release the sessions and exit. The owner never terminates
 * this worker mid-run: cutting ONNX Runtime off inside a run aborts the whole process.
 */
export type ToMaskWorker = { type: 'start'; request: MaskRequest } | { type: 'ack'; id: number } | { type: 'cancel'; id: number } | { type: 'stop' };
export type FromMaskWorker =
  | { type: 'window'; id: number; index: number; start: number; masks: Float32Array }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; name: string; code?: string; message: string };

const port = parentPort;
const runtimes = new Map<string, Promise<ModelRuntime>>();
let credits = 0;
let wake: (() => void) | null = null;
let cancelled = -1;
let stopping = false;
const isCancelled = (id: number) => stopping || cancelled === id;

async function run(req: MaskRequest): Promise<void> {
  if (isCancelled(req.id)) return;
  const key = `${req.modelDir}|${req.device}|${req.threads}`;
  let p = runtimes.get(key);
  if (!p) {
    p = ModelRuntime.create({ dir: req.modelDir, device: req.device, threads: req.threads, sessions: undefined });
    runtimes.set(key, p);
    p.catch(() => runtimes.delete(key));
  }
  const rt = await p;
  const card = rt.card;
  const a = card.audio;
  const cache = await AnalysisCache.open(req.cacheDir);
  if (!cache) throw new Error(`analysis cache ${req.cacheDir} is gone`);
  try {
    const plan = planStages(card, (s) => rt.has(s), req.stages ?? undefined);
    const firstStart = req.firstWindow * req.windowHop;
    const chunks = monoChunks(req.file, a.sampleRate, { info: req.info, startSec: firstStart / a.sampleRate, durationSec: req.monoDuration ?? undefined });
    credits = req.ahead;
    for await (const w of slideWindows(chunks, a.windowSamples, req.windowHop, { lastWindow: req.lastWindow === null ? undefined : req.lastWindow - req.firstWindow })) {
      while (credits <= 0 && !isCancelled(req.id)) await new Promise<void>((r) => (wake = r));
      if (isCancelled(req.id)) return;
      credits--;
      const start = w.start + firstStart;
      const audio = await rt.audio(windowMagnitude(card, w.samples));
      const masks = await windowMasks(plan, { runtime: rt, card, cache, start, audio, sources: req.sources });
      const msg: FromMaskWorker = { type: 'window', id: req.id, index: w.index + req.firstWindow, start, masks };
      port!.postMessage(msg, [masks.buffer as ArrayBuffer]);
    }
  } finally {
    await cache.close();
  }
}

if (port) {
  let queue = Promise.resolve();
  port.on('message', (m: ToMaskWorker) => {
    if (m.type === 'ack') {
      credits++;
      wake?.();
      wake = null;
    } else if (m.type === 'cancel') {
      cancelled = m.id;
      wake?.();
      wake = null;
    } else if (m.type === 'stop') {
      stopping = true;
      wake?.();
      wake = null;
      // After the run in flight (the queue), with no session busy: release them and end the thread.
      queue = queue.then(async () => {
        for (const p of runtimes.values()) await (await p.catch(() => null))?.release();
        process.exit(0);
      });
    } else if (m.type === 'start') {
      const req = m.request;
      queue = queue.then(async () => {
        try {
          await run(req);
          port.postMessage({ type: 'done', id: req.id } satisfies FromMaskWorker);
        } catch (err) {
          const e = err as Error & { code?: string };
          port.postMessage({ type: 'error', id: req.id, name: e?.name ?? 'Error', code: e?.code, message: e?.message ?? String(err) } satisfies FromMaskWorker);
        }
      });
    }
  });
}
