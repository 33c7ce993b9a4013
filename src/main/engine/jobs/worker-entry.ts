import { parentPort, workerData } from 'node:worker_threads';
import { Cancelled, isCancelled, toWire } from '../../../shared/errors';
import type { JobContext, JobDefinition } from './define';
import type { FromWorker, ToWorker, WorkerInput } from './protocol';

/**
 * Worker thread bootstrap: loads the job module, runs it with a JobContext, reports the outcome.
 * The runner terminates the worker after the final message, so lingering handles cannot keep it.
 */
const input = workerData as WorkerInput;
const port = parentPort!;
const flag = new Int32Array(input.cancelFlag);
const controller = new AbortController();
const post = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    Atomics.store(flag, 0, 1);
    controller.abort(new Cancelled());
  }
});

let lastStage = '';
let lastPost = 0;
const ctx: JobContext = {
  jobId: input.jobId,
  signal: controller.signal,
  get cancelled() {
    return Atomics.load(flag, 0) === 1;
  },
  throwIfCancelled() {
    if (Atomics.load(flag, 0) === 1) throw new Cancelled();
  },
  progress(stage, fraction, etaSec) {
    const now = performance.now();
    const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    if (stage === lastStage && f < 1 && now - lastPost < input.progressIntervalMs) return;
    lastStage = stage;
    lastPost = now;
    post({ type: 'progress', stage, fraction: f, etaSec: etaSec !== undefined && Number.isFinite(etaSec) ? etaSec : null });
  },
  record(value) {
    post({ type: 'record', value });
  },
};

function isDefinition(value: unknown): value is JobDefinition<unknown, unknown> {
  return typeof value === 'object' && value !== null && (value as { stemsightJob?: unknown }).stemsightJob === 1;
}

try {
  const mod = (await import(input.module)) as { default?: unknown };
  if (!isDefinition(mod.default)) throw new Error(`${input.module} has no default export made with defineJob()`);
  const result = await mod.default.run(input.params, ctx);
  // A job that finishes after cancel was asked reports cancelled: the user's request wins.
  post(ctx.cancelled ? { type: 'cancelled' } : { type: 'done', result });
} catch (err) {
  // isCancelled checks a brand, not the class: a bundled job module may carry its own copy of it.
  post(isCancelled(err) || ctx.cancelled ? { type: 'cancelled' } : { type: 'failed', error: toWire(err) });
}
