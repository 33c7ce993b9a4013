import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LATEST_VERSION,
  MIGRATIONS,
  addSource,
  getSource,
  historyState,
  listMixerChannels,
  listSources,
  migrate,
  moveSource,
  openLibrary,
  redo,
  setSourceClass,
  undo,
} from '../../../src/main/engine/project';
import { SOURCE_CLASSES } from '../../../src/shared/classes';
import { makeLibrary, makeProject, type Fixture } from './helpers';

let f: Fixture;
beforeEach(() => {
  f = makeLibrary();
});
afterEach(() => f.cleanup());

/** The migrations before sources by name. */
const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === 'sources by name'));

/** A library as the schema before sources by name left it: a project with sources, stems, mixer channels and history. */
function previousLibrary(file: string): void {
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  migrate(db, BEFORE);
  db.exec(`
    INSERT INTO projects (id, name, created_at, updated_at) VALUES (1, 'Old', 1, 1);
    INSERT INTO media (id, project_id, path, size, mtime_ms, quick_hash, probe_json, added_at) VALUES (1, 1, '/m/a.mp4', 10, 1, '${'a'.repeat(64)}', '{}', 1);
    INSERT INTO sources (id, project_id, media_id, ord, name, colour, time_sec, x, y, created_at, deleted_at) VALUES
      (1, 1, 1, 1, 'Guitar', '#e69f00', 1.5, 0.25, 0.5, 1, NULL),
      (2, 1, 1, 2, 'Gone', '#56b4e9', 0, 0.75, 0.5, 1, 5);
    INSERT INTO jobs (id, project_id, media_id, kind, state, created_at, updated_at) VALUES ('job-1', 1, 1, 'separation', 'done', 1, 1);
    INSERT INTO stems (project_id, media_id, job_id, source_id, kind, path, bytes, sha256, model_id, sample_rate, channels, frames, created_at) VALUES
      (1, 1, 'job-1', 1, 'source', '/s/1.wav', 4, '${'b'.repeat(64)}', 'm', 44100, 2, 1, 1),
      (1, 1, 'job-1', 2, 'source', '/s/2.wav', 4, '${'c'.repeat(64)}', 'm', 44100, 2, 1, 1),
      (1, 1, 'job-1', NULL, 'residual', '/s/r.wav', 4, '${'d'.repeat(64)}', 'm', 44100, 2, 1, 1);
    INSERT INTO mixer_channels (project_id, role, source_id, gain_db) VALUES (1, 'source', 1, -3), (1, 'source', 2, 0), (1, 'residual', NULL, -6);
    INSERT INTO history (project_id, seq, kind, label, forward_json, inverse_json, created_at, updated_at)
      VALUES (1, 1, 'source.remove', 'Remove Gone', '[{"t":"source","id":2,"set":{"deletedAt":5}}]', '[{"t":"source","id":2,"set":{"deletedAt":null}}]', 1, 1);
  `);
  db.close();
}

describe('sources-by-name migration', () => {
  it('upgrades a library of the previous schema in place: same sources, stems, channels and undo; no class yet', () => {
    const file = path.join(f.dir, 'previous.db');
    previousLibrary(file);
    const lib = openLibrary(file);
    try {
      expect(lib.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(lib.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(lib.db.pragma('foreign_key_check')).toEqual([]);
      expect(listSources(lib, 1, { includeDeleted: true })).toEqual([
        expect.objectContaining({ id: 1, index: 1, name: 'Guitar', x: 0.25, y: 0.5, timeSec: 1.5, className: null, deleted: false }),
        expect.objectContaining({ id: 2, index: 2, name: 'Gone', x: 0.75, className: null, deleted: true }),
      ]);
      // Dropping the old table did not cascade into the rows that point at its sources.
      expect(lib.db.prepare('SELECT count(*) FROM stems').pluck().get()).toBe(3);
      expect(listMixerChannels(lib, 1).map((c) => [c.sourceId, c.gainDb])).toEqual(expect.arrayContaining([[1, -3], [2, 0], [null, -6]]));
      expect(lib.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sources_media'").pluck().get()).toBe(1);
      // The undo log still brings the removed source back.
      expect(undo(lib, 1)?.sources[0]).toMatchObject({ id: 2, deleted: false });
      // Cascades work on the new table: deleting a source takes its stems and channel.
      lib.db.prepare('DELETE FROM sources WHERE id = 2').run();
      expect(lib.db.prepare('SELECT count(*) FROM stems WHERE source_id = 2').pluck().get()).toBe(0);
      // The new rules hold.
      const insert = (x: number | null, cls: string | null) =>
        lib.db
          .prepare("INSERT INTO sources (project_id, media_id, ord, name, colour, time_sec, x, y, class_name, created_at) VALUES (1, 1, 9, 'n', '#000000', ?, ?, ?, ?, 1)")
          .run(x === null ? null : 0, x, x === null ? null : 0.5, cls);
      expect(() => insert(null, null)).toThrow(/CHECK/);
      expect(() =>
        lib.db.prepare("INSERT INTO sources (project_id, media_id, ord, name, colour, time_sec, x, y, class_name, created_at) VALUES (1, 1, 9, 'n', '#000000', NULL, 0.5, 0.5, NULL, 1)").run(),
      ).toThrow(/CHECK/);
      insert(null, 'speaker');
    } finally {
      lib.close();
    }
  });

  it('a rebuild that fails leaves the previous version whole and foreign keys on', () => {
    const file = path.join(f.dir, 'previous-bad.db');
    previousLibrary(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const broken = { version: BEFORE.length + 1, name: 'broken rebuild', rebuildsTables: true, up: (d: Database.Database) => d.exec('DROP TABLE sources') };
    expect(() => migrate(db, [...BEFORE, broken])).toThrow(/foreign key/);
    expect(db.pragma('user_version', { simple: true })).toBe(BEFORE.length);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT count(*) FROM sources').pluck().get()).toBe(2);
    db.close();
  });
});

describe('sources by name', () => {
  it('adds a source by class name alone (any case, with the words for speech), named after its class', () => {
    const { project, media } = makeProject(f.lib);
    const s = addSource(f.lib, { projectId: project.id, mediaId: media.id, className: 'Speech' });
    expect(s).toMatchObject({ name: 'Speaker', className: 'speaker', x: null, y: null, timeSec: null });
    expect(addSource(f.lib, { projectId: project.id, mediaId: media.id, className: 'DIALOGUE' }).className).toBe('speaker');
    const both = addSource(f.lib, { projectId: project.id, mediaId: media.id, x: 0.5, y: 0.5, timeSec: 1, className: 'guitar' });
    expect(both).toMatchObject({ name: 'Source 3', className: 'guitar', x: 0.5 });
    expect(listMixerChannels(f.lib, project.id).filter((c) => c.role === 'source')).toHaveLength(3);
  });

  it('refuses a source without a point or a class, a partial point, and a class it does not know (listing the names)', () => {
    const { project, media } = makeProject(f.lib);
    const base = { projectId: project.id, mediaId: media.id };
    expect(() => addSource(f.lib, base)).toThrow('A source needs a point in the picture, a class name, or both');
    expect(() => addSource(f.lib, { ...base, x: 0.5, y: 0.5 })).toThrow('A source point needs x, y and its time together');
    expect(() => addSource(f.lib, { ...base, className: 'kazoo' })).toThrow(`'kazoo' is not a sound class Stemsight knows; use one of ${SOURCE_CLASSES.join(', ')}`);
    expect(() => addSource(f.lib, { ...base, className: null })).toThrow(/a point in the picture, a class name/);
    expect(listSources(f.lib, project.id)).toEqual([]);
  });

  it('sets, changes and clears a class as undoable steps; a source named alone keeps its class', () => {
    const { project, media } = makeProject(f.lib);
    const p = project.id;
    const clicked = addSource(f.lib, { projectId: p, mediaId: media.id, x: 0.2, y: 0.3, timeSec: 2 });
    expect(setSourceClass(f.lib, p, clicked.id, 'voice').className).toBe('speaker');
    expect(historyState(f.lib, p).undoLabel).toBe('Set Source 1 to speaker');
    expect(setSourceClass(f.lib, p, clicked.id, 'banjo').className).toBe('banjo');
    expect(setSourceClass(f.lib, p, clicked.id, null).className).toBeNull();
    expect(undo(f.lib, p)?.sources[0].className).toBe('banjo');
    expect(undo(f.lib, p)?.sources[0].className).toBe('speaker');
    expect(redo(f.lib, p)?.sources[0].className).toBe('banjo');
    expect(() => setSourceClass(f.lib, p, clicked.id, 'tuba')).toThrow(/'tuba' is not a sound class/);

    const named = addSource(f.lib, { projectId: p, mediaId: media.id, className: 'piano' });
    expect(() => setSourceClass(f.lib, p, named.id, null)).toThrow(/asked for by its class alone/);
    expect(getSource(f.lib, p, named.id).className).toBe('piano');
  });

  it('gives a source named alone a point when its marker is placed (time required), and undo takes the point away again', () => {
    const { project, media } = makeProject(f.lib);
    const p = project.id;
    const named = addSource(f.lib, { projectId: p, mediaId: media.id, className: 'drums' });
    expect(() => moveSource(f.lib, p, named.id, { x: 0.5, y: 0.5 })).toThrow(/needs the time/);
    expect(moveSource(f.lib, p, named.id, { x: 0.5, y: 0.4, timeSec: 3 })).toMatchObject({ x: 0.5, y: 0.4, timeSec: 3, className: 'drums' });
    expect(undo(f.lib, p)?.sources[0]).toMatchObject({ x: null, y: null, timeSec: null, className: 'drums' });
  });
});
