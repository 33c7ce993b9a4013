import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerSpec } from '../jobs/runner';
import { MediaError } from '../media/errors';
import { ModelError } from '../models/errors';
import type { ModelWindow } from '../analysis/windows';
import type { FromMaskWorker, MaskRequest, ToMaskWorker } from './mask-worker';

/** The owner side of mask-worker.ts: one worker per thread, requests one at a time. */

let worker: Worker | null = null;
let nextId = 1;
const listeners = new Map<number, (m: FromMaskWorker) => void>();

function getWorker(): Worker {
  if (worker) return worker;
  const self = new URL(import.meta.url);
  const ext = /\.ts$/.test(self.pathname) ? 'ts' : 'js';
  const entry = new URL(`./mask-worker.${ext}`, self);
  const spec = workerSpec(entry, entry);
  const w = new Worker(spec.url);
  w.unref(); // never keeps a CLI or test process alive
  w.on('message', (m: FromMaskWorker) => listeners.get(m.id)?.(m));
  const fail = (err: Error) => {
    for (const [id, l] of listeners) l({ type: 'error', id, name: 'Error', message: `mask worker stopped (${err.message})` });
    listeners.clear();
    worker = null;
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`exit ${code}`)));
  worker = w;
  return w;
}

/** How long a stopping worker may take to finish its run in flight before it is terminated. */
export const STOP_GRACE_MS = 60_000;

/**
 * End the worker (and its sessions). Call before the owning thread exits: a worker holding ONNX
 * Runtime threads can stall process exit if left to be torn down implicitly. The worker finishes
 * the window in flight and exits by itself: terminating it inside an ONNX run aborts the whole
 * process ("terminate called after throwing an instance of 'Napi::Error'"), so terminate() is only
 * the last resort for a worker that has not stopped after STOP_GRACE_MS.
 */
export async function stopMaskWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (!w) return;
  const exited = new Promise<void>((r) => w.once('exit', () => r()));
  w.ref(); // the owner waits for it
  w.postMessage({ type: 'stop' } satisfies ToMaskWorker);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_GRACE_MS)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await w.terminate();
}

export type WindowWithMasks = ModelWindow & { masks: Float32Array };

/** Windows of masks computed by the worker, in order; cancelling the signal stops it. */
export async function* workerMasks(req: Omit<MaskRequest, 'id' | 'threads' | 'ahead'>, signal?: AbortSignal): AsyncGenerator<WindowWithMasks> {
  const w = getWorker();
  const id = nextId++;
  w.ref(); // a request in flight keeps the process alive; an idle worker does not
  const queue: FromMaskWorker[] = [];
  let wake: (() => void) | null = null;
  listeners.set(id, (m) => {
    queue.push(m);
    wake?.();
    wake = null;
  });
  const onAbort = () => {
    w.postMessage({ type: 'cancel', id } satisfies ToMaskWorker);
    wake?.();
    wake = null;
  };
  signal?.addEventListener('abort', onAbort);
  const threads = Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  w.postMessage({ type: 'start', request: { ...req, id, threads, ahead: 2 } } satisfies ToMaskWorker);
  let finished = false;
  try {
    for (;;) {
      if (signal?.aborted) throw new MediaError('CANCELLED', 'cancelled');
      const m = queue.shift();
      if (!m) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (m.type === 'done') {
        finished = true;
        return;
      }
      if (m.type === 'error') {
        finished = true;
        if (m.name === 'ModelError') throw new ModelError((m.code as ModelError['code']) ?? 'RUNTIME', m.message);
        if (m.name === 'MediaError') throw new MediaError((m.code as MediaError['code']) ?? 'DECODE_FAILED', m.message);
        throw new Error(m.message);
      }
      w.postMessage({ type: 'ack', id } satisfies ToMaskWorker);
      yield { index: m.index, start: m.start, samples: new Float32Array(0), valid: 0, masks: m.masks };
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) w.postMessage({ type: 'cancel', id } satisfies ToMaskWorker);
    listeners.delete(id);
    if (listeners.size === 0) w.unref();
  }
}
