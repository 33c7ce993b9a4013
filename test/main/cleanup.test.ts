import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSource, beginAnalysis, completeAnalysis, listStems, openLibrary, recordStem, removeSource, type Library } from '../../src/main/engine/project';
import { libraryStore } from '../../src/main/services';
import { tidyDataFolder, type DataFolders } from '../../src/main/cleanup';
import { listAnalysisCaches, pruneAnalysisCaches } from '../../src/main/engine/analysis/cache';
import { makeProject } from '../engine/project/helpers';

let tmp: string;
let lib: Library;
let folders: DataFolders;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cleanup-'));
  folders = { dataDir: path.join(tmp, 'data'), analysisCacheDir: path.join(tmp, 'analyses') };
  mkdirSync(folders.dataDir);
  lib = openLibrary(path.join(folders.dataDir, 'stemsight.db'));
});
afterEach(() => {
  lib.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A finished run folder with one stem per owner (a source id or null for the residual), recorded. */
async function run(projectId: number, mediaId: number, name: string, owners: (number | null)[], preview = false) {
  const dir = path.join(folders.dataDir, 'stems', String(projectId), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), '{}');
  for (const [i, sourceId] of owners.entries()) {
    const bytes = Buffer.alloc(1000 + i, i + 1);
    const file = path.join(dir, sourceId === null ? 'residual.wav' : `source-${i + 1}.wav`);
    writeFileSync(file, bytes);
    await recordStem(lib, {
      projectId, mediaId, sourceId, kind: sourceId === null ? 'residual' : 'source', path: file,
      sha256: createHash('sha256').update(bytes).digest('hex'), modelId: 'm', sampleRate: 8000, channels: 1, frames: 10, preview,
    });
  }
  return dir;
}

function analysis(mediaId: number, name: string, bytes: number): string {
  const dir = path.join(folders.analysisCacheDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'visual.f16'), Buffer.alloc(bytes));
  writeFileSync(path.join(dir, 'meta.json'), '{}');
  const a = beginAnalysis(lib, { mediaId, kind: 'visual', modelId: 'm', modelVersion: '1' });
  completeAnalysis(lib, a.id, path.join(dir, 'meta.json'));
  return dir;
}

describe('disk space', () => {
  it('removing a project removes its stems, its cached audio and peaks, and analyses no one else uses', async () => {
    const { project, media } = makeProject(lib, 'Gone');
    const other = makeProject(lib, 'Stays');
    const s = addSource(lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0.5, y: 0.5 });
    const stems = await run(project.id, media.id, 'r1', [s.id, null]);
    const own = analysis(media.id, 'own', 100);
    const cached = [path.join(folders.dataDir, 'cache', 'original', `${media.id}-abc.wav`), path.join(folders.dataDir, 'cache', 'peaks', `${media.id}-100-5-6.json`)];
    const kept = path.join(folders.dataDir, 'cache', 'original', `${other.media.id}-def.wav`);
    for (const f of [...cached, kept]) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'x');
    }
    expect(libraryStore(lib, folders).removeProject(project.id)).toBe(true);
    for (const p of [stems, own, ...cached]) expect(existsSync(p), p).toBe(false);
    expect(existsSync(kept)).toBe(true);
  });

  it('start-up forgets superseded stems, removes unrecorded runs and stems of deleted projects, and keeps what is shown', async () => {
    const { project, media } = makeProject(lib);
    const a = addSource(lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0.2, y: 0.5 });
    const b = addSource(lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0.8, y: 0.5 });
    const preview = await run(project.id, media.id, 'r0-preview', [a.id, null], true);
    const old = await run(project.id, media.id, 'r1-full', [a.id, b.id, null]);
    // b is removed (undoably): the next run has only a. b's stem in r1 must stay for undo.
    removeSource(lib, project.id, b.id);
    const latest = await run(project.id, media.id, 'r2-full', [a.id, null]);
    const unrecorded = path.join(folders.dataDir, 'stems', String(project.id), 'r3-full');
    mkdirSync(unrecorded);
    writeFileSync(path.join(unrecorded, 'residual.wav'), 'x');
    const deletedProject = path.join(folders.dataDir, 'stems', '999');
    mkdirSync(deletedProject);

    await tidyDataFolder(lib, folders, Infinity);
    expect(existsSync(preview)).toBe(false);
    expect(existsSync(unrecorded)).toBe(false);
    expect(existsSync(deletedProject)).toBe(false);
    expect(readdirSync(old).sort()).toEqual(['manifest.json', 'source-2.wav']);
    expect(readdirSync(latest).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav']);
    expect(listStems(lib, project.id).map((s) => path.relative(folders.dataDir, s.path)).sort()).toEqual(
      [`stems/${project.id}/r1-full/source-2.wav`, `stems/${project.id}/r2-full/residual.wav`, `stems/${project.id}/r2-full/source-1.wav`],
    );
  });

  it('keeps the analysis cache under its limit, least recently used first', async () => {
    const { media } = makeProject(lib);
    const dirs = ['a', 'b', 'c'].map((n, i) => {
      const d = analysis(media.id, n, 1000);
      const t = new Date(Date.now() - (3 - i) * 60_000);
      utimesSync(path.join(d, 'meta.json'), t, t);
      return d;
    });
    const removed = await pruneAnalysisCaches(folders.analysisCacheDir, 2100);
    expect(removed.map((e) => e.dir)).toEqual([dirs[0]]);
    expect((await listAnalysisCaches(folders.analysisCacheDir)).map((e) => e.dir)).toEqual([dirs[1], dirs[2]]);
  });
});
