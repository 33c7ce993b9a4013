import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  StemFileError,
  addSource,
  beginAnalysis,
  completeAnalysis,
  failAnalysis,
  findReusableAnalysis,
  insertJob,
  listJobs,
  listStems,
  markInterruptedJobs,
  openProject,
  recordStem,
  removeSource,
  undo,
  updateJob,
  getJob,
  verifyStem,
  INTERRUPTED_MESSAGE,
  type RecordStemInput,
} from '../../../src/main/engine/project';
import { makeLibrary, makeProject, type Fixture } from './helpers';

let f: Fixture;
let base: Omit<RecordStemInput, 'path' | 'sha256'>;
let projectId: number;
let mediaId: number;
beforeEach(() => {
  f = makeLibrary();
  const p = makeProject(f.lib);
  projectId = p.project.id;
  mediaId = p.media.id;
  const s = addSource(f.lib, { projectId, mediaId, timeSec: 0, x: 0.5, y: 0.5 });
  base = { projectId, mediaId, sourceId: s.id, kind: 'source', modelId: 'm', sampleRate: 44100, channels: 2, frames: 100 };
});
afterEach(() => f.cleanup());

function file(name: string, bytes: Buffer): { path: string; sha256: string } {
  const p = path.join(f.dir, name);
  writeFileSync(p, bytes);
  return { path: p, sha256: createHash('sha256').update(bytes).digest('hex') };
}

describe('stems', () => {
  it('records a complete file with its checksum, model and parameters', async () => {
    const stem = await recordStem(f.lib, { ...base, ...file('a.wav', Buffer.alloc(400, 7)), params: { mask: 'soft' }, preview: true, startFrame: 10 });
    expect(stem).toMatchObject({ bytes: 400, preview: true, startFrame: 10, params: { mask: 'soft' }, kind: 'source' });
    expect(await verifyStem(f.lib, stem.id)).toBe('ok');
    expect(openProject(f.lib, projectId).stems[0].fileStatus).toBe('ok');
  });

  it('refuses missing, truncated, mismatched and temp files', async () => {
    const good = file('b.wav', Buffer.alloc(1000, 3));
    await expect(recordStem(f.lib, { ...base, path: path.join(f.dir, 'none.wav'), sha256: good.sha256 })).rejects.toThrow(StemFileError);
    truncateSync(good.path, 500);
    await expect(recordStem(f.lib, { ...base, ...good })).rejects.toThrow(/does not match its checksum/);
    const temp = file('.c.wav.123.abcd.partial', Buffer.alloc(10, 1));
    await expect(recordStem(f.lib, { ...base, ...temp })).rejects.toThrow(/temporary/);
    expect(listStems(f.lib, projectId)).toEqual([]);
  });

  it('a residual has no source, a source stem needs one', async () => {
    const r = await recordStem(f.lib, { ...base, kind: 'residual', sourceId: null, ...file('r.wav', Buffer.alloc(8, 1)) });
    expect(r.sourceId).toBeNull();
    await expect(recordStem(f.lib, { ...base, kind: 'residual', ...file('r2.wav', Buffer.alloc(8, 1)) })).rejects.toThrow(/residual/);
  });

  it('detects a stem file changed or removed after recording', async () => {
    const a = file('d.wav', Buffer.alloc(64, 1));
    const stem = await recordStem(f.lib, { ...base, ...a });
    writeFileSync(a.path, Buffer.alloc(64, 2));
    expect(await verifyStem(f.lib, stem.id)).toBe('changed');
    truncateSync(a.path, 0);
    expect(openProject(f.lib, projectId).stems[0].fileStatus).toBe('changed');
  });

  it('stems of a removed source leave the snapshot and come back on undo', async () => {
    await recordStem(f.lib, { ...base, ...file('e.wav', Buffer.alloc(16, 1)) });
    removeSource(f.lib, projectId, base.sourceId!);
    expect(openProject(f.lib, projectId).stems).toEqual([]);
    undo(f.lib, projectId);
    expect(openProject(f.lib, projectId).stems).toHaveLength(1);
  });

  it('latestOnly keeps the newest stem per source and preview flag', async () => {
    await recordStem(f.lib, { ...base, ...file('1.wav', Buffer.alloc(16, 1)), preview: true });
    f.tick(10);
    await recordStem(f.lib, { ...base, ...file('2.wav', Buffer.alloc(16, 2)) });
    f.tick(10);
    const newest = await recordStem(f.lib, { ...base, ...file('3.wav', Buffer.alloc(16, 3)) });
    const latest = listStems(f.lib, projectId, { latestOnly: true });
    expect(latest.map((s) => [s.id, s.preview])).toEqual([
      [newest.id, false],
      [latest[1].id, true],
    ]);
  });
});

describe('analyses', () => {
  it('goes pending -> ready only with a cache file, and is found again by content', () => {
    const key = { mediaId, kind: 'visual', modelId: 'sop', modelVersion: '1' };
    const a = beginAnalysis(f.lib, key, { fps: 8 });
    expect(a.status).toBe('pending');
    expect(() => completeAnalysis(f.lib, a.id, path.join(f.dir, 'nope.bin'))).toThrow(/does not exist/);
    const cache = file('visual.bin', Buffer.alloc(4));
    expect(completeAnalysis(f.lib, a.id, cache.path).status).toBe('ready');
    const other = makeProject(f.lib, 'Same clip'); // same fingerprint as the first project's media
    const fp = { size: other.media.size, mtimeMs: other.media.mtimeMs, quickHash: other.media.quickHash };
    expect(findReusableAnalysis(f.lib, fp, { kind: 'visual', modelId: 'sop', modelVersion: '1' })?.id).toBe(a.id);
    expect(findReusableAnalysis(f.lib, fp, { kind: 'visual', modelId: 'sop', modelVersion: '2' })).toBeNull();
    expect(failAnalysis(f.lib, a.id, 'decoder crashed')).toMatchObject({ status: 'failed', cachePath: null });
    expect(beginAnalysis(f.lib, key).status).toBe('pending');
  });
});

describe('job records', () => {
  it('marks jobs left queued or running by a dead process as failed', () => {
    insertJob(f.lib, { id: 'a', kind: 'separate', projectId, params: { n: 1 } });
    insertJob(f.lib, { id: 'b', kind: 'separate', projectId, params: {} });
    insertJob(f.lib, { id: 'c', kind: 'separate', projectId, params: {} });
    updateJob(f.lib, 'a', { state: 'running', stage: 'masks', progress: 0.4 });
    updateJob(f.lib, 'c', { state: 'done', progress: 1, result: { ok: true } });
    expect(markInterruptedJobs(f.lib)).toBe(2);
    expect(getJob(f.lib, 'a')).toMatchObject({ state: 'failed', errorMessage: INTERRUPTED_MESSAGE, stage: 'masks', params: { n: 1 } });
    expect(getJob(f.lib, 'c')).toMatchObject({ state: 'done', result: { ok: true } });
    expect(listJobs(f.lib, { states: ['failed'] }).map((j) => j.id).sort()).toEqual(['a', 'b']);
  });
});
