/**
 * Messages between the JobRunner (main thread) and worker-entry (worker thread). Both protocols
 * send a failure as toWire's plain data (src/shared/errors.ts) and the owner re-throws it with
 * fromWire, so an error keeps its code, user message and detail across the thread.
 */
import type { ErrorInfo } from '../../../shared/errors';

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
  | { type: 'failed'; error: ErrorInfo }
  | { type: 'cancelled' };

/**
 * Messages between a StreamWorker (owner, stream-client.ts) and serveStreams (worker thread,
 * stream-worker.ts): a long-lived worker answering requests with streams of items. The owner
 * acknowledges each item; the worker makes at most `ahead` items beyond the acknowledged ones.
 * stop: the worker finishes what is in flight, closes (releases sessions) and exits by itself.
 */
export type ToStreamWorker<Req> =
  | { type: 'start'; id: number; request: Req; ahead: number }
  | { type: 'ack'; id: number }
  | { type: 'cancel'; id: number }
  | { type: 'stop' };

export type FromStreamWorker<Item> =
  | { type: 'item'; id: number; item: Item }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo };
