import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../src/main/engine/jobs';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';
import { createProject, fingerprintFile, getAnalysis, getJob, libraryJobStore, listMedia, openLibrary, type Library } from '../../../src/main/engine/project';
import { analysisKey, applyIndexRecord, indexSnapshot } from '../../../src/main/engine/analysis/library-index';
import { isIndexRecord } from '../../../src/main/engine/analysis/index-records';
import { loadCard } from '../../../src/main/engine/models';
import type { AnalysisJobResult } from '../../../src/main/engine/analysis/job';
import type { Manifest } from '../../../src/main/engine/separation/job';

// Workers never open the database: inside Electron the worker would load the Node build of
// better_sqlite3. These jobs run in workers where loading it throws, and the main thread writes.

let dir: string, clip: string, lib: Library, runner: JobRunner, mediaId: number;
const src = (p: string) => new URL(`../../../src/main/engine/${p}`, import.meta.url);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-workerdb-'));
  clip = path.join(dir, 'clip.mp4');
  execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=3',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  lib = openLibrary(path.join(dir, 'stemsight.db'));
  const project = createProject(lib, { name: 'p', media: { path: clip, fingerprint: await fingerprintFile(clip), probe: {} } });
  mediaId = listMedia(lib, project.id)[0].id;
  runner = new JobRunner({ store: libraryJobStore(lib), workerEntry: new URL('./fixtures/no-sqlite-entry.ts', import.meta.url) });
  runner.register('analysis', src('analysis/job.ts')).register('separation', src('separation/job.ts'));
  runner.register('opens-db', new URL('./fixtures/opens-db.ts', import.meta.url));
  runner.on('record', (r) => {
    if (isIndexRecord(r.value)) applyIndexRecord(lib, r.value);
  });
}, 60_000);

afterAll(async () => {
  await runner?.dispose();
  lib?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('worker threads and the database', () => {
  it('the test bootstrap really refuses SQLite in a worker', async () => {
    const final = await runner.wait(runner.start('opens-db', { file: path.join(dir, 'other.db') }));
    expect(final.state).toBe('failed');
    expect(final.errorDetail).toMatch(/a worker thread loaded .*better_sqlite3/);
  });

  it('analysis and separation jobs run without SQLite; the main thread indexes the cache', async () => {
    const cacheRoot = path.join(dir, 'cache');
    const analysis = await runner.wait(runner.start('analysis', { media: clip, cacheRoot, device: 'cpu', index: indexSnapshot(lib, mediaId) }, { mediaId }));
    expect(analysis.errorDetail).toBeNull();
    expect(analysis.state).toBe('done');
    const result = analysis.result as AnalysisJobResult;
    expect(getJob(lib, analysis.id).state).toBe('done');
    const key = analysisKey(mediaId, await loadCard());
    const row = getAnalysis(lib, key);
    expect(row).toMatchObject({ status: 'ready', cachePath: path.join(result.cacheDir, 'meta.json') });

    const separation = await runner.wait(
      runner.start('separation', { media: clip, sources: [{ x: 0.5, y: 0.5, timeSec: 1 }], outDir: path.join(dir, 'stems'), cacheRoot, device: 'cpu', index: indexSnapshot(lib, mediaId) }, { mediaId }),
    );
    expect(separation.errorDetail).toBeNull();
    expect(separation.state).toBe('done');
    expect((separation.result as Manifest).timings.analysisCached).toBe(true);
    expect(existsSync(path.join(dir, 'stems', 'source-1.wav'))).toBe(true);
    expect(getAnalysis(lib, key)).toMatchObject({ status: 'ready', cachePath: row!.cachePath });
  }, 180_000);
});
