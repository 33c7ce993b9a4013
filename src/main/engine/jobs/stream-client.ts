import { Worker } from 'node:worker_threads';
import { Cancelled, fromWire } from '../../../shared/errors';
import type { FromStreamWorker, ToStreamWorker } from './protocol';
import { workerSpec } from './spawn';

/**
 * The owner side of a stream worker (see protocol.ts): one worker, started on first use, that
 * answers requests with streams of items. An idle worker never keeps the process alive. A stream
 * ends with the worker's error as fromWire re-throws it, or with Cancelled when its signal aborts.
 */

export interface StreamWorkerOptions {
  /** How long a stopping worker may take to finish what is in flight before it is terminated. */
  stopGraceMs?: number;
}

export class StreamWorker<Req, Item> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly listeners = new Map<number, (m: FromStreamWorker<Item>) => void>();

  constructor(
    private readonly entry: URL,
    private readonly options: StreamWorkerOptions = {},
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerSpec(this.entry, this.entry).url);
    w.unref(); // never keeps a CLI or test process alive
    w.on('message', (m: FromStreamWorker<Item>) => this.listeners.get(m.id)?.(m));
    const fail = (err: Error) => {
      for (const [id, l] of this.listeners) l({ type: 'error', id, error: { code: 'internal', message: `${this.entry.pathname.split('/').pop()} stopped (${err.message})`, detail: err.stack } });
      this.listeners.clear();
      if (this.worker === w) this.worker = null;
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit ${code}`)));
    return (this.worker = w);
  }

  /** The items answering `request`, in order; cancelling the signal (or returning early) stops the stream. */
  async *stream(request: Req, { ahead = 2, signal }: { ahead?: number; signal?: AbortSignal } = {}): AsyncGenerator<Item> {
    const w = this.start();
    const id = this.nextId++;
    const post = (m: ToStreamWorker<Req>) => w.postMessage(m);
    w.ref(); // a request in flight keeps the process alive; an idle worker does not
    const queue: FromStreamWorker<Item>[] = [];
    let wake: (() => void) | null = null;
    const rouse = () => {
      wake?.();
      wake = null;
    };
    this.listeners.set(id, (m) => {
      queue.push(m);
      rouse();
    });
    const onAbort = () => {
      post({ type: 'cancel', id });
      rouse();
    };
    signal?.addEventListener('abort', onAbort);
    post({ type: 'start', id, request, ahead });
    let finished = false;
    try {
      for (;;) {
        if (signal?.aborted) throw new Cancelled();
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
          throw fromWire(m.error);
        }
        post({ type: 'ack', id });
        yield m.item;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) post({ type: 'cancel', id });
      this.listeners.delete(id);
      if (this.listeners.size === 0) w.unref();
    }
  }

  /**
   * End the worker: it finishes what is in flight, closes and exits by itself. Terminating a worker
   * inside a native call (an ONNX run) aborts the whole process ("terminate called after throwing
   * an instance of 'Napi::Error'"), so terminate() is only the last resort after the grace period.
   */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const exited = new Promise<'exited'>((r) => w.once('exit', () => r('exited')));
    w.ref(); // the owner waits for it
    w.postMessage({ type: 'stop' } satisfies ToStreamWorker<Req>);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.options.stopGraceMs ?? 60_000)));
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await w.terminate();
  }
}
