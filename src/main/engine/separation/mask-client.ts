import os from 'node:os';
import { siblingModule } from '../jobs/spawn';
import { StreamWorker } from '../jobs/stream-client';
import type { MaskRequest } from './mask-worker';
import type { MaskWindow } from './mask-windows';

/** The owner side of mask-worker.ts: one worker per thread, requests one at a time. */

const worker = new StreamWorker<MaskRequest, MaskWindow>(siblingModule('mask-worker', import.meta.url));

/**
 * End the worker (and its sessions). Call before the owning thread exits: a worker holding ONNX
 * Runtime threads can stall process exit if left to be torn down implicitly. The worker finishes
 * the window in flight and exits by itself (see StreamWorker.stop).
 */
export function stopMaskWorker(): Promise<void> {
  return worker.stop();
}

/**
 * Windows of masks computed by the worker, in order, up to four ahead (a 10 s preview's three
 * windows are ready while the movement share is measured; a window of two sources holds 2 MB);
 * cancelling the signal stops it.
 */
export function workerMasks(req: Omit<MaskRequest, 'threads'>, signal?: AbortSignal): AsyncGenerator<MaskWindow> {
  const threads = Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  return worker.stream({ ...req, threads }, { ahead: 4, signal });
}
