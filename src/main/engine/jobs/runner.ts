import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { AppError, Cancelled, errorInfo, firstLine, fromWire, type ErrorCode } from '../../../shared/errors';
import type { JobState, JsonValue } from '../project/types';
import { TypedEmitter } from './emitter';
import type { FromWorker, ToWorker, WorkerInput } from './protocol';
import type { JobStore, JobUpdate } from './store';
import { siblingModule, workerSpec } from './spawn';

export { workerSpec } from './spawn';

/** Where the worker bootstrap lives relative to this module (source: .ts, built: .js). */
export function defaultWorkerEntry(): URL {
  return siblingModule('worker-entry', import.meta.url);
}

export type { JobState } from '../project/types';

/** What the UI shows of a job. */
export interface JobSnapshot {
  id: string;
  kind: string;
  state: JobState;
  stage: string;
  fraction: number;
  etaSec: number | null;
  elapsedSec: number;
  /** One line for the user (what happened, what to do); null unless failed. */
  errorMessage: string | null;
  /** The failure's code (src/shared/errors.ts): 'internal' for a bug; null unless failed. */
  errorCode: ErrorCode | null;
  /** Technical detail for logs and bug reports. */
  errorDetail: string | null;
  result: unknown;
  projectId: number | null;
  mediaId: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface JobProgressEvent {
  jobId: string;
  kind: string;
  stage: string;
  fraction: number;
  etaSec: number | null;
  elapsedSec: number;
}

export interface JobRecordEvent {
  jobId: string;
  kind: string;
  projectId: number | null;
  mediaId: number | null;
  value: unknown;
}

export interface JobEvents {
  /** Every state change: queued, running, done, failed, cancelled. */
  state: JobSnapshot;
  progress: JobProgressEvent;
  /** A record a job handed over with ctx.record(), for the main thread to store. */
  record: JobRecordEvent;
  /** The job ran, but its record could not be saved (the database is busy or gone). */
  persistError: { jobId: string; error: Error };
}

/** Kind name -> its params and result types; see JobTypes in define.ts. */
export type JobKindMap = Record<string, { params: unknown; result: unknown }>;

export interface RegisterOptions {
  /** Name of the work in user messages: "Separation failed ...". Defaults to the kind. */
  label?: string;
  resourceLimits?: ResourceLimits;
}

export interface StartOptions {
  projectId?: number | null;
  mediaId?: number | null;
  /** Higher runs first among queued jobs (a preview before the full file); FIFO within a priority. */
  priority?: number;
}

export interface JobRunnerOptions {
  /** Where job records are kept (the library's jobs table in the app); none: in memory only. */
  store?: JobStore;
  /** Heavy jobs at a time; the rest wait in the queue. Default 1: the machine may have 2 cores. */
  concurrency?: number;
  /**
   * After a cancel, how long a job may take to stop by itself before it is reported cancelled
   * anyway (default 15 s). Its worker is not terminated then: it may be inside a native call (an
   * ONNX run on a busy machine can take seconds), and terminating a worker there aborts the whole
   * process. It is left to stop by itself, its messages ignored, and terminated once it has.
   */
  cancelGraceMs?: number;
  /**
   * How long such a late worker may still run before it is terminated all the same (default 10
   * min): only a worker stuck for good gets there, and then ending it is the lesser harm.
   */
  stuckWorkerMs?: number;
  /** Worker bootstrap; default worker-entry.ts next to this file in source, worker-entry.js when built. */
  workerEntry?: URL;
  /** Mark jobs a previous process left queued/running as failed. Default true with a store. */
  recoverInterrupted?: boolean;
  /** Minimum ms between progress writes to the database (events are not throttled by this). */
  progressWriteMs?: number;
  /** Minimum ms between progress messages from a worker. */
  progressIntervalMs?: number;
}

interface Kind {
  module: URL;
  label: string;
  resourceLimits?: ResourceLimits;
}

interface Job {
  snap: JobSnapshot;
  params: unknown;
  priority: number;
  seq: number;
  worker?: Worker;
  cancelFlag?: Int32Array;
  graceTimer?: NodeJS.Timeout;
  startedMs?: number;
  /** The first progress report: the rate for the time left is measured from here. */
  etaFrom?: { fraction: number; elapsedSec: number };
  lastWrite: number;
  finished: Promise<JobSnapshot>;
  resolve: (s: JobSnapshot) => void;
}

function toUrl(module: URL | string): URL {
  if (module instanceof URL) return module;
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module) ? new URL(module) : pathToFileURL(module);
}

/**
 * Runs registered job kinds in worker threads, one (or `concurrency`) at a time, with progress,
 * ETA, cancellation and failure records. Subscribe with on('state' | 'progress', fn).
 */
export class JobRunner<Kinds extends JobKindMap = JobKindMap> extends TypedEmitter<JobEvents> {
  private readonly kinds = new Map<string, Kind>();
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running = 0;
  private seq = 0;
  private disposed = false;
  private readonly store?: JobStore;
  private readonly concurrency: number;
  private readonly graceMs: number;
  private readonly stuckMs: number;
  /** Workers of jobs reported cancelled that have not stopped yet (see cancelGraceMs). */
  private readonly late = new Set<Promise<void>>();
  private readonly entry: URL;
  private readonly progressWriteMs: number;
  private readonly progressIntervalMs: number;

  constructor(options: JobRunnerOptions = {}) {
    super();
    this.store = options.store;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.graceMs = Math.max(0, options.cancelGraceMs ?? 15_000);
    this.stuckMs = Math.max(0, options.stuckWorkerMs ?? 600_000);
    this.entry = options.workerEntry ?? defaultWorkerEntry();
    this.progressWriteMs = options.progressWriteMs ?? 500;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    if (this.store && options.recoverInterrupted !== false) this.store.markInterrupted();
  }

  /** Register a job kind: its name and the module (URL or path) whose default export is defineJob(...). */
  register<K extends keyof Kinds & string>(kind: K, module: URL | string, options: RegisterOptions = {}): this {
    this.kinds.set(kind, { module: toUrl(module), label: options.label ?? kind, resourceLimits: options.resourceLimits });
    return this;
  }

  /** Queue a job; returns its id at once. Params must be structured-cloneable (and JSON for the record). */
  start<K extends keyof Kinds & string>(kind: K, params: Kinds[K]['params'], options: StartOptions = {}): string {
    if (this.disposed) throw new Error('JobRunner is disposed');
    if (!this.kinds.has(kind)) throw new Error(`unknown job kind "${kind}"`);
    const id = randomUUID();
    const now = Date.now();
    if (this.store) {
      this.store.insert({
        id,
        kind,
        projectId: options.projectId ?? null,
        mediaId: options.mediaId ?? null,
        params: (JSON.parse(JSON.stringify(params ?? null)) ?? null) as JsonValue,
      });
    }
    let resolve!: (s: JobSnapshot) => void;
    const finished = new Promise<JobSnapshot>((r) => (resolve = r));
    const job: Job = {
      snap: {
        id,
        kind,
        state: 'queued',
        stage: '',
        fraction: 0,
        etaSec: null,
        elapsedSec: 0,
        errorMessage: null,
        errorCode: null,
        errorDetail: null,
        result: undefined,
        projectId: options.projectId ?? null,
        mediaId: options.mediaId ?? null,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
      },
      params,
      priority: options.priority ?? 0,
      seq: this.seq++,
      lastWrite: 0,
      finished,
      resolve,
    };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.queue.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.emit('state', { ...job.snap });
    this.pump();
    return id;
  }

  /**
   * Ask a job to stop. Queued: cancelled at once. Running: the worker is told (ctx.signal,
   * ctx.cancelled), and the job is reported cancelled when it stops or after the grace period,
   * whichever comes first. Returns false if the job is unknown or already finished.
   */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || (job.snap.state !== 'queued' && job.snap.state !== 'running')) return false;
    if (job.snap.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, { state: 'cancelled' });
      return true;
    }
    if (job.graceTimer) return true; // already cancelling
    if (job.cancelFlag) Atomics.store(job.cancelFlag, 0, 1);
    job.worker?.postMessage({ type: 'cancel' } satisfies ToWorker);
    job.graceTimer = setTimeout(() => this.finish(job, { state: 'cancelled' }, { workerBusy: true }), this.graceMs);
    return true;
  }

  get(jobId: string): JobSnapshot | undefined {
    const job = this.jobs.get(jobId);
    return job ? this.snapshot(job) : undefined;
  }

  /** Jobs of this run, oldest first. */
  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((j) => this.snapshot(j));
  }

  /** Resolves with the final snapshot when the job is done, failed or cancelled (never rejects). */
  wait(jobId: string): Promise<JobSnapshot> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new Error(`unknown job ${jobId}`));
    return job.finished;
  }

  /**
   * The job's result, for callers that want it thrown like a call's: a cancelled job rejects with
   * Cancelled, a failed one with an AppError of its code and user message (src/shared/errors.ts).
   */
  async result(jobId: string): Promise<unknown> {
    const snap = await this.wait(jobId);
    if (snap.state === 'cancelled') throw new Cancelled();
    if (snap.state !== 'done') throw new AppError(snap.errorCode ?? 'internal', snap.errorMessage ?? `${snap.kind} failed`, snap.errorDetail ?? undefined);
    return snap.result;
  }

  /**
   * Cancel everything, wait for the running jobs to stop (as with cancel(), and for late workers
   * to end), and release all workers and listeners.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const job of [...this.queue]) this.cancel(job.snap.id);
    const active = [...this.jobs.values()].filter((j) => j.snap.state === 'running');
    for (const job of active) this.cancel(job.snap.id);
    await Promise.all(active.map((j) => j.finished));
    await Promise.all([...this.late]);
    this.removeAllListeners();
  }

  private snapshot(job: Job): JobSnapshot {
    const elapsedSec = job.startedMs === undefined ? 0 : ((job.snap.finishedAt ?? Date.now()) - job.startedMs) / 1000;
    return { ...job.snap, elapsedSec };
  }

  private pump(): void {
    while (!this.disposed && this.running < this.concurrency && this.queue.length > 0) {
      this.launch(this.queue.shift()!);
    }
  }

  private persist(job: Job, update: JobUpdate): void {
    if (!this.store) return;
    try {
      this.store.update(job.snap.id, update);
    } catch (error) {
      this.emit('persistError', { jobId: job.snap.id, error: error as Error });
    }
  }

  private launch(job: Job): void {
    const kind = this.kinds.get(job.snap.kind)!;
    this.running++;
    job.startedMs = Date.now();
    job.snap.state = 'running';
    job.snap.startedAt = job.startedMs;
    this.persist(job, { state: 'running', startedAt: job.startedMs });
    this.emit('state', this.snapshot(job));

    const cancelFlag = new SharedArrayBuffer(4);
    job.cancelFlag = new Int32Array(cancelFlag);
    const input: WorkerInput = {
      jobId: job.snap.id,
      module: kind.module.href,
      params: job.params,
      cancelFlag,
      progressIntervalMs: this.progressIntervalMs,
    };
    let worker: Worker;
    try {
      const spec = workerSpec(this.entry, kind.module);
      worker = new Worker(spec.url, { workerData: input, resourceLimits: kind.resourceLimits });
    } catch (err) {
      this.fail(job, kind, err as Error);
      return;
    }
    job.worker = worker;
    worker.on('message', (message: FromWorker) => this.onMessage(job, kind, message));
    worker.on('error', (err) => this.fail(job, kind, err));
    worker.on('exit', (code) => {
      if (job.snap.state !== 'running') return;
      if (job.graceTimer) this.finish(job, { state: 'cancelled' });
      else this.fail(job, kind, new Error(`worker stopped unexpectedly (exit code ${code})`));
    });
  }

  private onMessage(job: Job, kind: Kind, message: FromWorker): void {
    if (job.snap.state !== 'running') return;
    switch (message.type) {
      case 'progress': {
        const elapsedSec = (Date.now() - job.startedMs!) / 1000;
        const stageChanged = message.stage !== job.snap.stage;
        job.snap.stage = message.stage;
        // Progress never goes back, whatever a stage reports.
        job.snap.fraction = Math.max(job.snap.fraction, message.fraction);
        job.etaFrom ??= { fraction: job.snap.fraction, elapsedSec };
        job.snap.etaSec = message.etaSec ?? estimateEta(job.snap.fraction, elapsedSec, job.etaFrom);
        this.emit('progress', {
          jobId: job.snap.id,
          kind: job.snap.kind,
          stage: job.snap.stage,
          fraction: job.snap.fraction,
          etaSec: job.snap.etaSec,
          elapsedSec,
        });
        const now = Date.now();
        if (stageChanged || now - job.lastWrite >= this.progressWriteMs) {
          job.lastWrite = now;
          this.persist(job, { stage: job.snap.stage, progress: job.snap.fraction, etaSec: job.snap.etaSec });
        }
        break;
      }
      case 'record':
        this.emit('record', { jobId: job.snap.id, kind: job.snap.kind, projectId: job.snap.projectId, mediaId: job.snap.mediaId, value: message.value });
        break;
      case 'done':
        this.finish(job, { state: 'done', result: message.result });
        break;
      case 'cancelled':
        this.finish(job, { state: 'cancelled' });
        break;
      case 'failed': {
        // A bug in the worker is reported here, once, in the job's terms ("Separation failed unexpectedly").
        const error = errorInfo(fromWire(message.error), kind.label);
        this.finish(job, { state: 'failed', errorMessage: error.message, errorCode: error.code, errorDetail: error.detail });
        break;
      }
    }
  }

  /**
   * A worker still running after its job was reported cancelled: terminate it once it reports its
   * end (its job code has returned, so no native call is in flight), or when it exits, or after
   * stuckWorkerMs. Until then its messages are ignored.
   */
  private retire(worker: Worker): void {
    const ended = new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        void worker.terminate().finally(resolve);
      };
      const timer = setTimeout(end, this.stuckMs);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'done' || m.type === 'cancelled' || m.type === 'failed') end();
      });
      worker.once('exit', end);
    });
    this.late.add(ended);
    void ended.then(() => this.late.delete(ended));
  }

  private fail(job: Job, kind: Kind, err: Error): void {
    if (job.snap.state !== 'running') return;
    this.finish(job, {
      state: 'failed',
      errorMessage: `${kind.label} stopped unexpectedly (${firstLine(err)}). Try again; if it keeps failing, report it with the details.`,
      errorCode: 'internal',
      errorDetail: err.stack ?? err.message,
    });
  }

  private finish(
    job: Job,
    outcome: { state: 'done' | 'failed' | 'cancelled'; result?: unknown; errorMessage?: string; errorCode?: ErrorCode; errorDetail?: string },
    { workerBusy = false } = {},
  ): void {
    if (job.snap.state !== 'queued' && job.snap.state !== 'running') return;
    const wasRunning = job.snap.state === 'running';
    if (job.graceTimer) clearTimeout(job.graceTimer);
    const now = Date.now();
    job.snap.state = outcome.state;
    job.snap.finishedAt = now;
    job.snap.etaSec = null;
    if (outcome.state === 'done') {
      job.snap.fraction = 1;
      job.snap.result = outcome.result;
    }
    job.snap.errorMessage = outcome.errorMessage ?? null;
    job.snap.errorCode = outcome.errorCode ?? null;
    job.snap.errorDetail = outcome.errorDetail ?? null;
    let result: JsonValue | null = null;
    if (outcome.state === 'done' && outcome.result !== undefined) {
      try {
        result = (JSON.parse(JSON.stringify(outcome.result)) ?? null) as JsonValue;
      } catch {
        result = null; // not JSON (typed arrays, cycles): kept in memory only
      }
    }
    this.persist(job, {
      state: outcome.state,
      progress: job.snap.fraction,
      etaSec: null,
      errorMessage: job.snap.errorMessage,
      errorDetail: job.snap.errorDetail,
      result,
      finishedAt: now,
    });
    if (job.worker) {
      const worker = job.worker;
      job.worker = undefined;
      worker.removeAllListeners('message');
      if (workerBusy) this.retire(worker);
      else void worker.terminate();
    }
    const snap = this.snapshot(job);
    this.emit('state', snap);
    job.resolve(snap);
    if (wasRunning) {
      this.running--;
      this.pump();
    }
  }
}

/**
 * Time left at the rate measured since `from` (the job's first progress report: start-up such as
 * starting a worker or loading a model says nothing about the rate of the work); null until 5 %
 * of the work and a second have passed since then.
 */
export function estimateEta(fraction: number, elapsedSec: number, from: { fraction: number; elapsedSec: number } = { fraction: 0, elapsedSec: 0 }): number | null {
  if (fraction >= 1) return 0;
  const done = fraction - from.fraction;
  const spent = elapsedSec - from.elapsedSec;
  if (done < 0.05 || spent < 1) return null;
  return (spent * (1 - fraction)) / done;
}
