import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamWorker } from '../../../src/main/engine/jobs/stream-client';

const entry = new URL('./fixtures/count-stream.ts', import.meta.url);
type Req = { n: number; busyMs: number; failAt?: number; closedMarker?: string };
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

  it("re-creates the worker's error, by name and code", async () => {
    worker = new StreamWorker(entry, { revive: (e) => Object.assign(new Error(`revived ${e.message}`), { code: e.code }) });
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const item of worker.stream({ n: 5, busyMs: 1, failAt: 2 })) got.push(item.i);
      })(),
    ).rejects.toMatchObject({ message: 'revived failed at 2', code: 'AT' });
    expect(got).toEqual([0, 1]);
  });

  it('a cancelled stream ends with the cancel error, and the worker serves the next request', async () => {
    worker = new StreamWorker(entry, { cancelled: () => new Error('cancelled here') });
    const ac = new AbortController();
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const item of worker.stream({ n: 100, busyMs: 20 }, { signal: ac.signal })) {
          got.push(item.i);
          if (item.i === 2) ac.abort();
        }
      })(),
    ).rejects.toThrow('cancelled here');
    expect(got).toEqual([0, 1, 2]);
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
