import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LATEST_VERSION,
  MIGRATIONS,
  SchemaTooNewError,
  addSource,
  createProject,
  deleteProject,
  getExportSettings,
  listRecentProjects,
  findProjectsByMedia,
  migrate,
  openLibrary,
  openProject,
  setExportSettings,
  setMixer,
  findMixerChannel,
  setMonitor,
  InvalidInputError,
  fingerprintFile,
  mediaFileStatus,
  historyState,
  listSources,
  listMixerChannels,
  removeSource,
  setMediaScene,
  getMedia,
} from '../../../src/main/engine/project';
import { MAX_SOURCES } from '../../../src/shared/mixer';
import { makeLibrary, makeProject, type Fixture } from './helpers';
import { writeFileSync } from 'node:fs';

let f: Fixture;
beforeEach(() => {
  f = makeLibrary();
});
afterEach(() => f.cleanup());

describe('library database', () => {
  it('opens in WAL mode with foreign keys and the latest schema', () => {
    const { db } = f.lib;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(Number(db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  });

  it('re-opening an up-to-date database runs no migration and keeps data', () => {
    const p = createProject(f.lib, { name: 'Keep me' });
    const file = f.lib.file;
    f.lib.close();
    const again = openLibrary(file);
    expect(listRecentProjects(again).map((r) => r.id)).toEqual([p.id]);
    again.close();
  });

  it('runs each migration in a transaction: a failing migration leaves the previous version', () => {
    const db = new Database(path.join(f.dir, 'm.db'));
    const ok = { version: 1, name: 'one', up: (d: Database.Database) => d.exec('CREATE TABLE a (x)') };
    const bad = {
      version: 2,
      name: 'two',
      up: (d: Database.Database) => {
        d.exec('CREATE TABLE b (x)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, [ok, bad])).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    db.close();
  });

  it('upgrades a version-1 library in place, keeping its data', () => {
    const file = path.join(f.dir, 'v1.db');
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    migrate(old, MIGRATIONS.slice(0, 1));
    old.prepare("INSERT INTO projects (name, created_at, updated_at) VALUES ('Old', 1, 1)").run();
    old.close();
    const lib = openLibrary(file);
    expect(lib.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(lib.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'media_path'").pluck().get()).toBe(1);
    expect(listRecentProjects(lib).map((p) => p.name)).toEqual(['Old']);
    // Sources made before stem edits existed keep the separation's stems: default strength, no moves.
    const cols = lib.db.prepare('PRAGMA table_info(sources)').all() as { name: string; dflt_value: string }[];
    expect(cols.find((c) => c.name === 'strength')?.dflt_value).toBe('0.5');
    expect(cols.find((c) => c.name === 'moves_json')?.dflt_value).toBe("'[]'");
    lib.close();
  });

  it('refuses a database from a newer version instead of damaging it', () => {
    const file = path.join(f.dir, 'new.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openLibrary(file)).toThrow(SchemaTooNewError);
  });

  it('accepts an explicit nativeBinding path', () => {
    const binding = path.resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const lib = openLibrary(path.join(f.dir, 'native.db'), { nativeBinding: binding });
    expect(createProject(lib, { name: 'x' }).name).toBe('x');
    lib.close();
    expect(() => openLibrary(path.join(f.dir, 'bad.db'), { nativeBinding: path.join(f.dir, 'nope.node') })).toThrow();
  });
});

describe('projects', () => {
  it('lists recent projects by last opened, with their media and source count', () => {
    const a = makeProject(f.lib, 'A');
    f.tick(1000);
    const b = makeProject(f.lib, 'B');
    addSource(f.lib, { projectId: a.project.id, mediaId: a.media.id, timeSec: 1, x: 0.5, y: 0.5 });
    expect(listRecentProjects(f.lib).map((p) => p.name)).toEqual(['B', 'A']);
    f.tick(1000);
    openProject(f.lib, a.project.id);
    const recent = listRecentProjects(f.lib);
    expect(recent.map((p) => p.name)).toEqual(['A', 'B']);
    expect(recent[0]).toMatchObject({ sourceCount: 1, mediaPath: a.media.path });
    expect(recent[1].id).toBe(b.project.id);
  });

  it('creates a project with its media in one step and finds it again by path or content', () => {
    const fingerprint = { size: 10, mtimeMs: 5, quickHash: 'b'.repeat(64) };
    const p = createProject(f.lib, { name: 'With media', media: { path: path.resolve('/m/a.mov'), fingerprint, probe: { fps: 30 } } });
    expect(openProject(f.lib, p.id).media.map((m) => m.path)).toEqual([path.resolve('/m/a.mov')]);
    expect(findProjectsByMedia(f.lib, { path: path.resolve('/m/a.mov') }).map((x) => x.id)).toEqual([p.id]);
    expect(findProjectsByMedia(f.lib, { quickHash: 'b'.repeat(64), size: 10 }).map((x) => x.id)).toEqual([p.id]);
    expect(findProjectsByMedia(f.lib, { path: path.resolve('/m/other.mov') })).toEqual([]);
    // a failing media insert leaves no project behind
    expect(() => createProject(f.lib, { name: 'Bad', media: { path: 'relative.mov', fingerprint, probe: {} } })).toThrow(/absolute/);
    expect(listRecentProjects(f.lib).map((x) => x.name)).toEqual(['With media']);
  });

  it('a new project has defaults for mixer, master and export settings', () => {
    const { project } = makeProject(f.lib);
    const snap = openProject(f.lib, project.id);
    expect(snap.mixer.state).toEqual({ masterGainDb: 0, monitor: 'mix' });
    expect(snap.mixer.channels.map((c) => c.role)).toEqual(['residual', 'original']);
    expect(snap.exportSettings).toMatchObject({ format: 'wav24', sampleRate: null, namingTemplate: '{index}_{project}_{stem}' });
    expect(snap.media[0].probe).toMatchObject({ width: 1920 });
    expect(snap.media[0].fileStatus).toBe('missing');
    expect(snap.history).toEqual({ canUndo: false, canRedo: false, undoLabel: null, redoLabel: null });
  });

  it('reopening restores sources, mixer, export settings and A/B exactly', () => {
    const { project, media } = makeProject(f.lib);
    const s1 = addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 2.5, x: 0.25, y: 0.75, name: 'Violin' });
    const s2 = addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 3, x: 0.8, y: 0.1 });
    setMixer(f.lib, project.id, findMixerChannel(f.lib, project.id, { sourceId: s2.id }).id, { gainDb: -6, pan: 0.3, mute: true });
    setMixer(f.lib, project.id, findMixerChannel(f.lib, project.id, { role: 'residual' }).id, { solo: true });
    setExportSettings(f.lib, project.id, { format: 'f32', sampleRate: 48000, folder: '/tmp/out', includeMix: true });
    setMonitor(f.lib, project.id, 'original');
    const before = openProject(f.lib, project.id, { markOpened: false });
    const file = f.lib.file;
    f.lib.close();
    f.lib = openLibrary(file) as typeof f.lib;
    const after = openProject(f.lib, project.id, { markOpened: false });
    expect(after).toEqual(before);
    expect(after.sources.map((s) => [s.name, s.index, s.x, s.y, s.timeSec])).toEqual([
      ['Violin', 1, 0.25, 0.75, 2.5],
      ['Source 2', 2, 0.8, 0.1, 3],
    ]);
    expect(after.sources[0].colour).not.toBe(after.sources[1].colour);
    expect(after.mixer.channels.find((c) => c.sourceId === s2.id)).toMatchObject({ gainDb: -6, pan: 0.3, mute: true, solo: false });
    expect(after.mixer.channels.find((c) => c.sourceId === s1.id)).toMatchObject({ gainDb: 0, mute: false });
    expect(after.mixer.state.monitor).toBe('original');
    expect(after.exportSettings).toMatchObject({ format: 'f32', sampleRate: 48000, folder: '/tmp/out', includeMix: true });
  });

  it('deleting a project cascades to everything in it', () => {
    const { project, media } = makeProject(f.lib);
    addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0, y: 1 });
    deleteProject(f.lib, project.id);
    for (const table of ['media', 'sources', 'mixer_channels', 'mix_state', 'export_settings', 'history']) {
      expect(f.lib.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0);
    }
  });

  it('rejects bad input with a clear message, and the schema backs it up', () => {
    const { project, media } = makeProject(f.lib);
    expect(() => addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 1.2, y: 0 })).toThrow(InvalidInputError);
    expect(() => addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: -1, x: 0, y: 0 })).toThrow(/zero or more/);
    expect(() => createProject(f.lib, { name: '   ' })).toThrow(/Project name/);
    expect(() => setExportSettings(f.lib, project.id, { namingTemplate: 'a/b' })).toThrow(/cannot contain/);
    expect(() => f.lib.db.prepare('UPDATE sources SET x = 2').run()).not.toThrow(); // no rows yet
    addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x: 0, y: 0 });
    expect(() => f.lib.db.prepare('UPDATE sources SET x = 2').run()).toThrow(/CHECK/);
    expect(getExportSettings(f.lib, project.id).namingTemplate).toBe('{index}_{project}_{stem}');
  });

  it('refuses a source beyond what one separation takes, at the click, and keeps the project as it was', () => {
    const { project, media } = makeProject(f.lib);
    const add = (x: number) => addSource(f.lib, { projectId: project.id, mediaId: media.id, timeSec: 0, x, y: 0.5 });
    const made = Array.from({ length: MAX_SOURCES }, (_, i) => add(i / 10));
    const before = historyState(f.lib, project.id);
    expect(() => add(0.95)).toThrow(InvalidInputError);
    expect(() => add(0.95)).toThrow(`A project separates at most ${MAX_SOURCES} sources; remove one before adding another.`);
    expect(listSources(f.lib, project.id)).toHaveLength(MAX_SOURCES);
    expect(listMixerChannels(f.lib, project.id).filter((c) => c.role === 'source')).toHaveLength(MAX_SOURCES);
    expect(historyState(f.lib, project.id)).toEqual(before);
    // A removed source frees its place (it is kept only for undo).
    removeSource(f.lib, project.id, made[0].id);
    expect(add(0.95).index).toBe(MAX_SOURCES + 1);
  });

  it('a source cannot point at media of another project (composite foreign key)', () => {
    const a = makeProject(f.lib, 'A');
    const b = makeProject(f.lib, 'B');
    expect(() => addSource(f.lib, { projectId: a.project.id, mediaId: b.media.id, timeSec: 0, x: 0, y: 0 })).toThrow(/FOREIGN KEY/);
  });
});

describe('media scene setting', () => {
  it('starts at auto, keeps what the user sets, and refuses anything else (the schema backs it up)', () => {
    const { media } = makeProject(f.lib);
    expect(media.scene).toBe('auto');
    expect(setMediaScene(f.lib, media.id, 'real').scene).toBe('real');
    expect(() => setMediaScene(f.lib, media.id, 'cartoon' as never)).toThrow(InvalidInputError);
    expect(() => f.lib.db.prepare("UPDATE media SET scene = 'cartoon' WHERE id = ?").run(media.id)).toThrow(/CHECK/);
    expect(getMedia(f.lib, media.id).scene).toBe('real');
  });
});

describe('media fingerprint', () => {
  it('changes when the content changes and the status follows the file', async () => {
    const file = path.join(f.dir, 'clip.bin');
    writeFileSync(file, Buffer.alloc(3 << 20, 1));
    const one = await fingerprintFile(file);
    expect(one.size).toBe(3 << 20);
    expect(mediaFileStatus({ path: file, size: one.size, mtimeMs: one.mtimeMs })).toBe('ok');
    const buf = Buffer.alloc(3 << 20, 1);
    buf[buf.length - 1] = 2; // the tail is hashed
    writeFileSync(file, buf);
    const two = await fingerprintFile(file);
    expect(two.quickHash).not.toBe(one.quickHash);
    expect(mediaFileStatus({ path: path.join(f.dir, 'gone'), size: 1, mtimeMs: 1 })).toBe('missing');
  });
});
