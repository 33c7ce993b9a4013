import os from 'node:os';
import { Cancelled } from '../../../shared/errors';
import { siblingModule } from '../jobs/spawn';
import { StreamWorker } from '../jobs/stream-client';
import type { DetectSegmentRequest } from './detect-worker';
import { threadDetector } from './registry';
import { detectSegment, type FoundFrame, type SegmentRequest } from './segments';

/**
 * Segments of clips through a picture detector, side by side in worker threads (detect-worker.ts),
 * or in this thread. Each worker loads its own detector once and keeps it while it is used, so the
 * look at a clip and its detection share the loading; idle for IDLE_STOP_MS, the workers end
 * (giving their memory back before, say, a separation starts).
 */

const IDLE_STOP_MS = 5000;

/**
 * Detector workers by default: one a core, at most 2. Each holds its own WebAssembly runtime and
 * weights (about 200 MB), and on two cores two workers already keep both busy.
 */
export function defaultDetectWorkers(): number {
  return Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
}

const workers: StreamWorker<DetectSegmentRequest, FoundFrame>[] = [];
let idle: NodeJS.Timeout | undefined;
/** Runs using the workers now: they are stopped only when none is. */
let running = 0;

function worker(i: number): StreamWorker<DetectSegmentRequest, FoundFrame> {
  return (workers[i] ??= new StreamWorker(siblingModule('detect-worker', import.meta.url)));
}

export interface RunSegmentsOptions {
  /** Worker threads (0: this thread). */
  workers: number;
  signal?: AbortSignal;
  /** Each frame as it is found (segments run side by side: not in time order). */
  onFrame?: (f: FoundFrame) => void;
}

/** The frames of all segments, in time order. The first failure stops the other segments. */
export async function runSegments(detector: string, segments: SegmentRequest[], opts: RunSegmentsOptions): Promise<FoundFrame[]> {
  if (opts.signal?.aborted) throw new Cancelled();
  const queue = [...segments];
  const out: FoundFrame[] = [];
  const drain = async (run: (s: SegmentRequest) => AsyncIterable<FoundFrame>) => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      for await (const f of run(s)) {
        out.push(f);
        opts.onFrame?.(f);
      }
    }
  };
  if (opts.workers <= 0) {
    const d = await threadDetector(detector);
    await drain((s) => detectSegment(d, s, opts.signal));
  } else {
    const n = Math.min(opts.workers, segments.length);
    await onWorkers(n, opts.signal, (w, signal) => drain((s) => w.stream({ detector, segment: s }, { signal })));
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * Loads the detector in the first `count` workers (those not loaded yet), so that a run that
 * follows soon finds them ready: loading takes seconds, which can pass while other work runs.
 */
export async function preloadDetectWorkers(detector: string, count: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new Cancelled();
  await onWorkers(count, signal, async (w, s) => {
    for await (const _ of w.stream({ detector, segment: null }, { signal: s }));
  });
}

/** `task` on each of the first n workers side by side; the first failure stops the others. */
async function onWorkers(n: number, signal: AbortSignal | undefined, task: (w: StreamWorker<DetectSegmentRequest, FoundFrame>, signal: AbortSignal) => Promise<void>): Promise<void> {
  clearTimeout(idle);
  running++;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        task(worker(i), stop.signal).catch((err: unknown) => {
          stop.abort();
          throw err;
        }),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (--running === 0) idle = setTimeout(() => void stopDetectWorkers(), IDLE_STOP_MS).unref();
  }
}

/** End the detector workers once no run uses them; the next run starts new ones. */
export async function stopDetectWorkers(): Promise<void> {
  clearTimeout(idle);
  if (running === 0) await Promise.all(workers.map((w) => w.stop()));
}
