/** Messages between the JobRunner (main thread) and worker-entry (worker thread). */

export interface WorkerInput {
  jobId: string;
  /** file: URL of the job module. */
  module: string;
  params: unknown;
  /** Int32Array view [0] = 1 once cancellation is asked for; readable without the event loop. */
  cancelFlag: SharedArrayBuffer;
  /** Minimum milliseconds between progress messages. */
  progressIntervalMs: number;
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; stage: string; fraction: number; etaSec: number | null }
  | { type: 'record'; value: unknown }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; userMessage: string | null; message: string; detail: string }
  | { type: 'cancelled' };
