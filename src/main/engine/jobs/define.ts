/**
 * The API a job module uses inside its worker thread. A job module's default export is
 * `defineJob(async (params, ctx) => result)`. It runs off the main thread: it may block, but it
 * should call ctx.progress() now and then and check ctx.cancelled (or await with ctx.signal).
 * Failures a user can act on are thrown as AppError (src/shared/errors.ts): their message becomes
 * the job's error message; anything else is reported as an unexpected failure.
 */

export interface JobContext {
  readonly jobId: string;
  /** Aborted when the job is cancelled; pass it to anything async that accepts a signal. */
  readonly signal: AbortSignal;
  /** True once cancellation was asked for. Readable inside tight synchronous loops. */
  readonly cancelled: boolean;
  /** Throws Cancelled (src/shared/errors.ts) if cancellation was asked for. */
  throwIfCancelled(): void;
  /**
   * Report progress: stage is a short word for the UI ("decoding", "separating"), fraction the
   * whole job's progress 0..1. Cheap to call often: messages are throttled.
   */
  progress(stage: string, fraction: number, etaSec?: number): void;
  /**
   * Hand a record to the main thread, which stores it (workers never open the database). Records
   * arrive in order and before the job's outcome; the runner emits them as 'record' events.
   * Must be structured-cloneable.
   */
  record(value: unknown): void;
}

export type JobFunction<P, R> = (params: P, ctx: JobContext) => R | Promise<R>;

export interface JobDefinition<P, R> {
  readonly stemsightJob: 1;
  readonly run: JobFunction<P, R>;
}

export function defineJob<P, R>(run: JobFunction<P, R>): JobDefinition<P, R> {
  return { stemsightJob: 1, run };
}

/** Parameter and result types of a job module, for typing a JobRunner's kinds. */
export type JobTypes<M> = M extends { default: JobDefinition<infer P, infer R> } ? { params: P; result: Awaited<R> } : never;
