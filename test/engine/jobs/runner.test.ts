import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobRunner, estimateEta, workerSpec, type JobProgressEvent, type JobSnapshot, type JobTypes } from '../../../src/main/engine/jobs';
import { AppError, Cancelled, isAppError, isCancelled } from '../../../src/shared/errors';
import { getJob, insertJob, libraryJobStore, openLibrary, updateJob, INTERRUPTED_MESSAGE, type Library } from '../../../src/main/engine/project';

const tsx = createRequire(import.meta.url).resolve('tsx');

/** Run a script under node + tsx and SIGKILL it once it prints a line starting with `trigger`. */
function runChild(script: string, args: string[], trigger: string): Promise<{ lines: string[]; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.split('\n').some((l) => l.startsWith(trigger))) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ lines: out.split('\n').filter(Boolean), signal, stderr }));
  });
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

type Kinds = {
  primes: JobTypes<typeof import('./fixtures/primes')>;
  fail: JobTypes<typeof import('./fixtures/fail')>;
  slow: JobTypes<typeof import('./fixtures/slow')>;
  stages: JobTypes<typeof import('./fixtures/stages')>;
};

let dir: string;
let lib: Library;
let runner: JobRunner<Kinds>;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-jobs-'));
  lib = openLibrary(path.join(dir, 'stemsight.db'));
  // Progress posts at most every 10 ms: the primes job's count stage alone lasts over 100 ms (20 waits of
  // 5 ms), so the staged-progress test sees several events however fast the machine is.
  runner = new JobRunner<Kinds>({ store: libraryJobStore(lib), cancelGraceMs: 2000, progressIntervalMs: 10 });
  runner.register('primes', fixture('primes.ts'), { label: 'Prime count' });
  runner.register('fail', fixture('fail.ts'), { label: 'Analysis' });
  runner.register('slow', fixture('slow.ts'), { label: 'Separation' });
  runner.register('stages', fixture('stages.ts'), { label: 'Separation' });
});
afterEach(async () => {
  await runner.dispose();
  lib.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('JobRunner', () => {
  it('runs a real computation in a worker thread with staged progress, and records it', async () => {
    const progress: JobProgressEvent[] = [];
    const states: string[] = [];
    runner.on('progress', (e) => progress.push(e));
    runner.on('state', (s) => states.push(s.state));
    const id = runner.start('primes', { n: 2_000_000 }, {});
    const final = await runner.wait(id);
    expect(final.state).toBe('done');
    const result = final.result as { count: number; threadId: number };
    expect(result.count).toBe(148_933); // pi(2e6)
    expect(result.threadId).not.toBe(threadId);
    expect(states).toEqual(['queued', 'running', 'done']);
    expect(progress.length).toBeGreaterThan(3);
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['sieve', 'count']));
    const fractions = progress.map((p) => p.fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions); // monotonic
    expect(progress.every((p) => p.jobId === id && p.elapsedSec >= 0)).toBe(true);
    const row = getJob(lib, id);
    expect(row).toMatchObject({ kind: 'primes', state: 'done', progress: 1, params: { n: 2_000_000 }, result: { count: 148_933 } });
    expect(row.startedAt).not.toBeNull();
    expect(row.finishedAt).toBeGreaterThanOrEqual(row.startedAt!);
  });

  it('records an AppError with its user message and code, and keeps the technical detail apart', async () => {
    const final = await runner.wait(runner.start('fail', { mode: 'user' }));
    expect(final.state).toBe('failed');
    expect(final.errorMessage).toBe('The clip has no audio track; choose a file with sound.');
    expect(final.errorCode).toBe('media_error');
    expect(final.errorDetail).toContain('ffprobe: 0 audio streams');
    expect(final.errorDetail).toContain('fail.ts');
    expect(getJob(lib, final.id)).toMatchObject({ state: 'failed', errorMessage: final.errorMessage });
  });

  it("throws a worker's error again in main with its code, user message and detail", async () => {
    const err = await runner.result(runner.start('fail', { mode: 'model' })).catch((e: unknown) => e);
    expect(isAppError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'model_error', message: 'masks.onnx is damaged or altered; reinstall Stemsight.' });
    expect((err as AppError).detail).toMatch(/^masks\.onnx\n/);
    expect((err as AppError).detail).toContain('fail.ts');
  });

  it('a cancelled job is the one cancellation type, whoever cancelled it', async () => {
    // Cancelled inside the job, not asked for by the runner: cancelled, not failed.
    const own = runner.start('fail', { mode: 'cancel' });
    await expect(runner.result(own)).rejects.toBeInstanceOf(Cancelled);
    expect(runner.get(own)).toMatchObject({ state: 'cancelled', errorCode: null, errorMessage: null });
    // Cancelled by the runner while it runs.
    const asked = runner.start('slow', { steps: 500 });
    await new Promise<void>((resolve) => runner.once('progress', () => resolve()));
    runner.cancel(asked);
    const err = await runner.result(asked).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cancelled);
    expect(isCancelled(err)).toBe(true);
  });

  it('turns an unexpected error, a stray async throw and a worker exit into failures with a plain message', async () => {
    for (const mode of ['bug', 'async-throw', 'exit'] as const) {
      const final = await runner.wait(runner.start('fail', { mode }));
      expect(final.state, mode).toBe('failed');
      expect(final.errorCode, mode).toBe('internal');
      expect(final.errorMessage, mode).toMatch(/^Analysis (failed|stopped) unexpectedly \(.+\)\. Try again/);
      expect(final.errorMessage!.split('\n')).toHaveLength(1);
      expect(final.errorDetail, mode).toBeTruthy();
    }
  });

  it('cancels a running job cooperatively, well within the grace period', async () => {
    const id = runner.start('slow', { steps: 500 });
    await new Promise<void>((resolve) => {
      const off = runner.on('progress', (e) => {
        if (e.jobId === id && e.fraction > 0.02) {
          off();
          resolve();
        }
      });
    });
    const asked = Date.now();
    expect(runner.cancel(id)).toBe(true);
    const final = await runner.wait(id);
    expect(final.state).toBe('cancelled');
    expect(final.fraction).toBeGreaterThan(0);
    expect(final.fraction).toBeLessThan(1);
    expect(Date.now() - asked).toBeLessThan(1500);
    expect(getJob(lib, id).state).toBe('cancelled');
    expect(runner.cancel(id)).toBe(false);
  });

  it('reports a job that ignores cancellation cancelled after the grace period, and ends its worker only once stuck', async () => {
    const quick = new JobRunner<Kinds>({ cancelGraceMs: 200, stuckWorkerMs: 300 });
    quick.register('slow', fixture('slow.ts'));
    const id = quick.start('slow', { steps: 10_000, stubborn: true });
    await new Promise<void>((resolve) => quick.once('progress', () => resolve()));
    const asked = Date.now();
    quick.cancel(id);
    const final = await quick.wait(id);
    expect(final.state).toBe('cancelled');
    expect(Date.now() - asked).toBeGreaterThanOrEqual(190); // it did not stop by itself
    expect(Date.now() - asked).toBeLessThan(2000);
    // Its worker (500 s of work left) is ended after stuckWorkerMs; dispose waits for that.
    await quick.dispose();
    expect(Date.now() - asked).toBeLessThan(5000);
  });

  it('never cuts a late worker off: it runs until it stops by itself (a native call must not be terminated)', async () => {
    const quick = new JobRunner<Kinds>({ cancelGraceMs: 100 });
    quick.register('slow', fixture('slow.ts'));
    const doneFile = path.join(dir, 'late-done');
    const states: string[] = [];
    quick.on('state', (s) => states.push(s.state));
    // About 1 s of work that never looks at the cancel, like a long model run.
    const id = quick.start('slow', { steps: 20, stubborn: true, doneFile });
    await new Promise<void>((resolve) => quick.once('progress', () => resolve()));
    quick.cancel(id);
    expect((await quick.wait(id)).state).toBe('cancelled');
    expect(existsSync(doneFile)).toBe(false); // reported before the worker stopped
    await quick.dispose(); // waits for the late worker
    expect(existsSync(doneFile)).toBe(true);
    expect(states.filter((s) => s !== 'queued' && s !== 'running')).toEqual(['cancelled']); // its end is not reported again
  });

  it('runs one job at a time by default; queued jobs wait, honour priority and can be cancelled', async () => {
    const order: string[] = [];
    runner.on('state', (s) => {
      if (s.state === 'running') order.push(s.id);
    });
    const first = runner.start('slow', { steps: 5 });
    const low = runner.start('slow', { steps: 1 });
    const dropped = runner.start('slow', { steps: 1 });
    const high = runner.start('slow', { steps: 1 }, { priority: 10 });
    expect(runner.get(low)?.state).toBe('queued');
    expect(runner.cancel(dropped)).toBe(true);
    expect(runner.get(dropped)?.state).toBe('cancelled');
    const finals = await Promise.all([first, low, high].map((id) => runner.wait(id)));
    expect(finals.map((f) => f.state)).toEqual(['done', 'done', 'done']);
    expect(order).toEqual([first, high, low]);
    // never two running at once
    expect(finals[0].finishedAt!).toBeLessThanOrEqual(runner.get(high)!.startedAt!);
    expect(getJob(lib, dropped)).toMatchObject({ state: 'cancelled', startedAt: null });
  });

  it('a job whose process is killed is marked failed when the next runner opens the library', async () => {
    const run = await runChild(path.join(here, 'fixtures/crash-runner.ts'), [lib.file, fixture('slow.ts').href], 'running');
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const id = run.lines[0].split(' ')[1];
    expect(getJob(lib, id).state).toBe('running');
    const next = new JobRunner({ store: libraryJobStore(lib) });
    expect(getJob(lib, id)).toMatchObject({ state: 'failed', errorMessage: INTERRUPTED_MESSAGE });
    await next.dispose();
  });

  it('marks jobs interrupted by a crash as failed when a runner starts on the library', () => {
    insertJob(lib, { id: 'crashed', kind: 'slow', params: {} });
    updateJob(lib, 'crashed', { state: 'running', progress: 0.3 });
    const next = new JobRunner({ store: libraryJobStore(lib) });
    expect(getJob(lib, 'crashed')).toMatchObject({ state: 'failed', errorMessage: INTERRUPTED_MESSAGE });
    void next.dispose();
  });

  it('rejects unknown kinds', () => {
    expect(() => runner.start('nope' as 'slow', { steps: 1 })).toThrow(/unknown job kind/);
  });

  it('runs built JavaScript (the electron-vite output) without tsx', async () => {
    const out = path.join(dir, 'built');
    await build({
      entryPoints: { 'worker-entry': path.join(here, '../../../src/main/engine/jobs/worker-entry.ts'), primes: path.join(here, 'fixtures/primes.ts') },
      outdir: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      outExtension: { '.js': '.js' },
      logLevel: 'silent',
    });
    const entry = pathToFileURL(path.join(out, 'worker-entry.js'));
    const module = pathToFileURL(path.join(out, 'primes.js'));
    expect(workerSpec(entry, module)).toEqual({ url: entry, viaTsx: false });
    expect(workerSpec(new URL('file:///x/worker-entry.ts'), module).viaTsx).toBe(true);
    const built = new JobRunner({ workerEntry: entry });
    built.register('primes', module);
    try {
      const final: JobSnapshot = await built.wait(built.start('primes', { n: 100_000 }));
      expect(final.state).toBe('done');
      expect((final.result as { count: number }).count).toBe(9592);
    } finally {
      await built.dispose();
    }
  });
});

describe('progress across stages', () => {
  it('never goes back when a later stage reports less than an earlier one', async () => {
    const progress: number[] = [];
    runner.on('progress', (e) => progress.push(e.fraction));
    // An analysis found cached reports 75 %, then the separation starts its count near 0.
    const final = await runner.wait(runner.start('stages', { fractions: [0.1, 0.75, 0.03, 0.5, 0.9] }, {}));
    expect(final.state).toBe('done');
    expect(progress).toEqual([0.1, 0.75, 0.75, 0.75, 0.9]);
  });
});

describe('estimateEta', () => {
  it('extrapolates linearly once there is enough to go on', () => {
    expect(estimateEta(0.01, 10)).toBeNull();
    expect(estimateEta(0.5, 0.1)).toBeNull();
    expect(estimateEta(0.25, 10)).toBeCloseTo(30);
    expect(estimateEta(1, 10)).toBe(0);
  });

  it('measures the rate from the first progress report, so start-up time does not inflate it', () => {
    // 4 s of worker start and model loading, then 2 % per 0.1 s (the job takes 9 s in all).
    const first = { fraction: 0.02, elapsedSec: 4 };
    expect(estimateEta(0.02, 4, first)).toBeNull();
    expect(estimateEta(0.1, 4.4, first)).toBeNull(); // not a second of evidence yet
    const eta = estimateEta(0.5, 6.4, first)!;
    expect(eta).toBeCloseTo(2.5, 1); // 0.5 left at 0.2 per second
    // From the start it would have said 6.4 s, and 196 s at the first report ("3:16 left").
  });
});
