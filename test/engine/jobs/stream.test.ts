import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamWorker } from '../../../src/main/engine/jobs/stream-client';
import { AppError, Cancelled, errorInfo, isAppError, isCancelled } from '../../../src/shared/errors';

const entry = new URL('./fixtures/count-stream.ts', import.meta.url);
type Req = { n: number; busyMs: number; failAt?: number; failWith?: 'model' | 'bug' | 'cancel'; closedMarker?: string };
let worker: StreamWorker<Req, { i: number }>;
afterEach(() => worker?.stop());

describe('stream workers', () => {
  it('streams the items of each request in order, one request after another on one worker', async () => {
    worker = new StreamWorker(entry);
    for (const n of [5, 3]) {
      const got: number[] = [];
      for await (const item of worker.stream({ n, busyMs: 1 }, { ahead: 2 })) got.push(item.i);
      expect(got).toEqual([...Array(n).keys()]);
    }
  });

  it("forwards the worker's error with its code, user message and detail, after the items before it", async () => {
    worker = new StreamWorker(entry);
    const got: number[] = [];
    const err = await (async () => {
      for await (const item of worker.stream({ n: 5, busyMs: 1, failAt: 2 })) got.push(item.i);
    })().catch((e: unknown) => e);
    expect(got).toEqual([0, 1]);
    expect(isAppError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'model_error', message: 'The model could not run window 2; try again with --device cpu.' });
    expect((err as AppError).detail).toMatch(/^masks\.onnx\n/);
    expect((err as AppError).detail).toContain('count-stream.ts');
  });

  it('forwards a bug as a bug: its message and stack, reported once by whoever answers it', async () => {
    worker = new StreamWorker(entry);
    const err = await (async () => {
      for await (const _ of worker.stream({ n: 5, busyMs: 1, failAt: 1, failWith: 'bug' }));
    })().catch((e: unknown) => e);
    expect(isAppError(err)).toBe(false);
    expect((err as Error).message).toBe('x is undefined at 1');
    expect((err as Error).stack).toContain('count-stream.ts');
    expect(errorInfo(err, 'Separation')).toMatchObject({ code: 'internal', message: expect.stringMatching(/^Separation failed unexpectedly \(x is undefined at 1\)/) });
  });

  it('a cancelled stream ends with Cancelled, whoever cancelled it, and the worker serves the next request', async () => {
    worker = new StreamWorker(entry);
    const ac = new AbortController();
    const got: number[] = [];
    const byOwner = await (async () => {
      for await (const item of worker.stream({ n: 100, busyMs: 20 }, { signal: ac.signal })) {
        got.push(item.i);
        if (item.i === 2) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(byOwner).toBeInstanceOf(Cancelled);
    expect(got).toEqual([0, 1, 2]);
    // Work inside the worker that was cancelled on its own arrives as the same type.
    const inWorker = await (async () => {
      for await (const _ of worker.stream({ n: 5, busyMs: 1, failAt: 1, failWith: 'cancel' }));
    })().catch((e: unknown) => e);
    expect(inWorker).toBeInstanceOf(Cancelled);
    expect(isCancelled(inWorker)).toBe(true);
    const again: number[] = [];
    for await (const item of worker.stream({ n: 2, busyMs: 1 })) again.push(item.i);
    expect(again).toEqual([0, 1]);
  });

  it('stop() lets the item in flight finish and the worker close by itself, never terminating it mid-item', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-stream-'));
    try {
      const marker = path.join(dir, 'closed');
      worker = new StreamWorker(entry, { stopGraceMs: 30_000 });
      const it = worker.stream({ n: 100, busyMs: 400, closedMarker: marker })[Symbol.asyncIterator]();
      expect((await it.next()).value).toEqual({ i: 0 });
      // The worker is now inside the next item's blocking work; stopping must wait for it.
      await worker.stop();
      expect(existsSync(marker)).toBe(true);
      await it.return(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
