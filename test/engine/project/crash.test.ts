import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSource, listMixerChannels, listSources, listStems, openLibrary, getProject } from '../../../src/main/engine/project';
import { runChild } from './child';
import { makeLibrary, makeProject, type Fixture } from './helpers';

let f: Fixture;
beforeEach(() => {
  f = makeLibrary();
});
afterEach(() => f.cleanup());

describe('crash safety', () => {
  it('survives repeated SIGKILL mid-write: integrity ok and every committed row intact', async () => {
    const file = f.lib.file;
    f.lib.close();
    const committed: { id: number; round: number; n: number }[] = [];
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const run = await runChild('crash-writer.ts', [file, String(round)], { trigger: 'ready', afterMs: 150 + Math.floor(Math.random() * 400) });
      expect(run.signal, run.stderr).toBe('SIGKILL');
      for (const line of run.lines.slice(1)) {
        const [id, r, n] = line.split(' ').map(Number);
        if (Number.isFinite(n)) committed.push({ id, round: r, n });
      }
    }
    expect(committed.length).toBeGreaterThan(rounds); // it really was writing when killed

    const lib = openLibrary(file);
    f.lib = lib;
    expect(lib.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(lib.db.pragma('foreign_key_check')).toEqual([]);
    for (const c of committed) {
      expect(getProject(lib, c.id).name).toBe(`r${c.round}-n${c.n}`);
      const sources = listSources(lib, c.id);
      expect(sources.map((s) => [s.x, s.y, s.timeSec])).toEqual([0, 1, 2].map((k) => [k / 4, (c.n % 100) / 100, c.n]));
      const mixer = listMixerChannels(lib, c.id).filter((m) => m.role === 'source');
      expect(mixer.map((m) => [m.gainDb, m.mute])).toEqual([
        [0, false],
        [-1, false],
        [-2, true],
      ]);
    }
    // No half transaction survived: every project has all of its parts.
    const partial = lib.db
      .prepare(
        `SELECT p.id FROM projects p WHERE (SELECT count(*) FROM sources s WHERE s.project_id = p.id) <> 3
            OR (SELECT count(*) FROM mixer_channels m WHERE m.project_id = p.id) <> 5`,
      )
      .all();
    expect(partial).toEqual([]);
  });

  it('an interrupted stem write leaves no row pointing at a partial file', async () => {
    const { project, media } = makeProject(f.lib);
    const source = addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0.5, y: 0.5 });
    const out = path.join(f.dir, 'stems');
    const args = (name: string) => [f.lib.file, path.join(out, name), String(project.id), String(media.id), String(source.id)];
    mkdirSync(out);
    for (let i = 0; i < 3; i++) {
      const name = `killed-${i}.wav`;
      const run = await runChild('stem-writer.ts', args(name), { trigger: 'writing', afterMs: 20 + Math.floor(Math.random() * 150) });
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(existsSync(path.join(out, name))).toBe(false);
    }
    expect(listStems(f.lib, project.id)).toEqual([]);
    expect(readdirSync(out).every((n) => n.endsWith('.partial'))).toBe(true);

    // Control: the same writer left alone records its stem, so the test above can fail.
    const done = await runChild('stem-writer.ts', args('complete.wav'));
    expect(done.code, done.stderr).toBe(0);
    const stems = listStems(f.lib, project.id);
    expect(stems).toHaveLength(1);
    expect(stems[0]).toMatchObject({ path: path.join(out, 'complete.wav'), bytes: 64 * 64 * 1024 });
  });
});
