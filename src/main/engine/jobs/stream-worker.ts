import { parentPort } from 'node:worker_threads';
import { toWire } from '../../../shared/errors';
import type { FromStreamWorker, ToStreamWorker } from './protocol';

/**
 * The worker side of a stream worker (see protocol.ts): call serveStreams once in the worker
 * module. Requests run one at a time, in order; the next item of a stream is asked for only when
 * the owner has room for it, so cancelling or stopping takes effect between items and never cuts a
 * native call (an ONNX run) short.
 */

export interface StreamHandler<Req, Item> {
  /** The items answering one request, made lazily. */
  stream(request: Req, signal: AbortSignal): AsyncIterable<Item>;
  /** Buffers to move to the owner rather than copy. */
  transfer?(item: Item): ArrayBuffer[];
  /** Before the thread exits on stop, with nothing in flight (release sessions). */
  close?(): Promise<void>;
}

interface Active {
  credits: number;
  cancelled: boolean;
  wake: (() => void) | null;
  controller: AbortController;
}

export function serveStreams<Req, Item>(handler: StreamHandler<Req, Item>): void {
  const port = parentPort;
  if (!port) throw new Error('serveStreams() must run in a worker thread');
  const post = (m: FromStreamWorker<Item>, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const active = new Map<number, Active>();
  const cancel = (a: Active | undefined) => {
    if (!a) return;
    a.cancelled = true;
    a.controller.abort();
    a.wake?.();
  };

  async function run(id: number, request: Req, a: Active): Promise<void> {
    try {
      if (!a.cancelled) {
        const it = handler.stream(request, a.controller.signal)[Symbol.asyncIterator]();
        try {
          for (;;) {
            while (a.credits <= 0 && !a.cancelled) await new Promise<void>((r) => (a.wake = r));
            if (a.cancelled) break;
            const r = await it.next();
            if (r.done) break;
            a.credits--;
            post({ type: 'item', id, item: r.value }, handler.transfer?.(r.value));
          }
        } finally {
          await it.return?.();
        }
      }
      post({ type: 'done', id });
    } catch (err) {
      if (a.cancelled) post({ type: 'done', id });
      else post({ type: 'error', id, error: toWire(err) });
    } finally {
      active.delete(id);
    }
  }

  let queue = Promise.resolve();
  port.on('message', (m: ToStreamWorker<Req>) => {
    switch (m.type) {
      case 'start': {
        const a: Active = { credits: m.ahead, cancelled: false, wake: null, controller: new AbortController() };
        active.set(m.id, a);
        queue = queue.then(() => run(m.id, m.request, a));
        break;
      }
      case 'ack': {
        const a = active.get(m.id);
        if (a) {
          a.credits++;
          a.wake?.();
        }
        break;
      }
      case 'cancel':
        cancel(active.get(m.id));
        break;
      case 'stop':
        for (const a of active.values()) cancel(a);
        // After the run in flight (the queue), with nothing busy: close and end the thread.
        queue = queue.then(async () => {
          await handler.close?.().catch(() => undefined);
          process.exit(0);
        });
        break;
    }
  });
}
