import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COALESCE_MS,
  MAX_HISTORY,
  addSource,
  duckAllBut,
  findMixerChannel,
  historyState,
  listSources,
  moveSource,
  moveStemRange,
  openLibrary,
  openProject,
  purgeUnreachableSources,
  redo,
  removeSource,
  renameSource,
  setMasterGain,
  setMixer,
  setSourceStrength,
  undo,
} from '../../../src/main/engine/project';
import { makeLibrary, makeProject, type Fixture } from './helpers';

let f: Fixture;
let projectId: number;
let mediaId: number;
beforeEach(() => {
  f = makeLibrary();
  const p = makeProject(f.lib);
  projectId = p.project.id;
  mediaId = p.media.id;
});
afterEach(() => f.cleanup());

const add = (x = 0.5, y = 0.5) => addSource(f.lib, { projectId, mediaId, timeSec: 1, x, y });
const names = () => listSources(f.lib, projectId).map((s) => s.name);

describe('undo / redo of source edits', () => {
  it('undoes and redoes add, rename, move and remove in order', () => {
    const s = add(0.1, 0.2);
    renameSource(f.lib, projectId, s.id, 'Drums');
    moveSource(f.lib, projectId, s.id, { x: 0.9, y: 0.8, timeSec: 4 });
    removeSource(f.lib, projectId, s.id);
    expect(names()).toEqual([]);
    expect(historyState(f.lib, projectId).undoLabel).toBe('Remove Drums');

    let change = undo(f.lib, projectId)!;
    expect(change.kind).toBe('source.remove');
    expect(change.sources[0]).toMatchObject({ id: s.id, deleted: false, x: 0.9, name: 'Drums' });
    change = undo(f.lib, projectId)!;
    expect(change.sources[0]).toMatchObject({ x: 0.1, y: 0.2, timeSec: 1 });
    undo(f.lib, projectId);
    expect(names()).toEqual(['Source 1']);
    change = undo(f.lib, projectId)!;
    expect(change.sources[0].deleted).toBe(true);
    expect(names()).toEqual([]);
    expect(undo(f.lib, projectId)).toBeNull();
    expect(historyState(f.lib, projectId)).toMatchObject({ canUndo: false, canRedo: true, redoLabel: 'Add Source 1' });

    redo(f.lib, projectId);
    redo(f.lib, projectId);
    expect(names()).toEqual(['Drums']);
    redo(f.lib, projectId);
    expect(listSources(f.lib, projectId)[0]).toMatchObject({ x: 0.9, y: 0.8, timeSec: 4 });
    redo(f.lib, projectId);
    expect(names()).toEqual([]);
    expect(redo(f.lib, projectId)).toBeNull();
  });

  it('removing and undoing keeps the same id, index, colour and mixer settings', () => {
    const s = add();
    const ch = findMixerChannel(f.lib, projectId, { sourceId: s.id });
    setMixer(f.lib, projectId, ch.id, { gainDb: -12 });
    removeSource(f.lib, projectId, s.id);
    expect(openProject(f.lib, projectId).mixer.channels.some((c) => c.sourceId === s.id)).toBe(false);
    undo(f.lib, projectId);
    const snap = openProject(f.lib, projectId);
    expect(snap.sources[0]).toMatchObject({ id: s.id, index: 1, colour: s.colour });
    expect(snap.mixer.channels.find((c) => c.sourceId === s.id)?.gainDb).toBe(-12);
  });

  it('a new edit after undo drops the redo tail', () => {
    const a = add();
    renameSource(f.lib, projectId, a.id, 'One');
    renameSource(f.lib, projectId, a.id, 'Two');
    undo(f.lib, projectId);
    expect(historyState(f.lib, projectId).canRedo).toBe(true);
    renameSource(f.lib, projectId, a.id, 'Three');
    expect(historyState(f.lib, projectId)).toMatchObject({ canRedo: false, undoLabel: 'Rename One' });
    undo(f.lib, projectId);
    expect(names()).toEqual(['One']);
  });

  it('a marker drag (moves within the coalescing window) is one step', () => {
    const s = add(0.1, 0.1);
    for (let i = 2; i <= 9; i++) {
      f.tick(50);
      moveSource(f.lib, projectId, s.id, { x: i / 10, y: i / 10 });
    }
    expect(undo(f.lib, projectId)?.sources[0]).toMatchObject({ x: 0.1, y: 0.1 });
    expect(historyState(f.lib, projectId).undoLabel).toBe('Add Source 1');
  });

  it('keeps the last MAX_HISTORY steps', () => {
    const s = add();
    for (let i = 0; i < MAX_HISTORY + 5; i++) renameSource(f.lib, projectId, s.id, `Name ${i}`);
    let steps = 0;
    while (undo(f.lib, projectId)) steps++;
    expect(steps).toBe(MAX_HISTORY);
    expect(names()).toEqual(['Name 4']);
  });

  it('a removed source\'s mixer channel cannot be edited', () => {
    const s = add();
    const ch = findMixerChannel(f.lib, projectId, { sourceId: s.id }).id;
    removeSource(f.lib, projectId, s.id);
    expect(() => setMixer(f.lib, projectId, ch, { gainDb: -3 })).toThrow(/That item no longer exists/);
  });

  it('an edit that changes nothing records no step', () => {
    const a = add();
    renameSource(f.lib, projectId, a.id, 'Source 1');
    undo(f.lib, projectId);
    expect(names()).toEqual([]);
  });

  it('sources no step can bring back are purged, with their stem paths returned', () => {
    const a = add();
    add();
    undo(f.lib, projectId); // un-add the second
    renameSource(f.lib, projectId, a.id, 'Kept'); // drops the redo of the second add
    expect(listSources(f.lib, projectId, { includeDeleted: true })).toHaveLength(2);
    expect(purgeUnreachableSources(f.lib, projectId)).toEqual([]);
    expect(listSources(f.lib, projectId, { includeDeleted: true }).map((s) => s.name)).toEqual(['Kept']);
    // removed but still undoable: not purged
    removeSource(f.lib, projectId, a.id);
    purgeUnreachableSources(f.lib, projectId);
    expect(undo(f.lib, projectId)?.sources[0].name).toBe('Kept');
  });
});

describe('undo / redo of mixer edits', () => {
  it('coalesces a fader drag on one channel into one step', () => {
    const s = add();
    const ch = findMixerChannel(f.lib, projectId, { sourceId: s.id });
    for (let i = 1; i <= 10; i++) {
      setMixer(f.lib, projectId, ch.id, { gainDb: -i });
      f.tick(100);
    }
    expect(findMixerChannel(f.lib, projectId, { sourceId: s.id }).gainDb).toBe(-10);
    const change = undo(f.lib, projectId)!;
    expect(change.mixer[0].gainDb).toBe(0);
    expect(change.kind).toBe('mixer.set');
    redo(f.lib, projectId);
    expect(findMixerChannel(f.lib, projectId, { sourceId: s.id }).gainDb).toBe(-10);
  });

  it('does not coalesce after a pause, across fields, across channels, or toggles', () => {
    const s = add();
    const ch = findMixerChannel(f.lib, projectId, { sourceId: s.id }).id;
    const res = findMixerChannel(f.lib, projectId, { role: 'residual' }).id;
    setMixer(f.lib, projectId, ch, { gainDb: -3 });
    f.tick(COALESCE_MS + 1);
    setMixer(f.lib, projectId, ch, { gainDb: -6 }); // after a pause: new step
    f.tick(10);
    setMixer(f.lib, projectId, ch, { pan: 0.5 }); // other field
    f.tick(10);
    setMixer(f.lib, projectId, res, { pan: 0.5 }); // other channel
    f.tick(10);
    setMixer(f.lib, projectId, ch, { mute: true });
    f.tick(10);
    setMixer(f.lib, projectId, ch, { mute: false }); // toggles are steps
    const labels: string[] = [];
    let c;
    while ((c = undo(f.lib, projectId)) && c.kind !== 'source.add') labels.push(c.label);
    expect(labels).toEqual(['Unmute Source 1', 'Mute Source 1', 'Pan Residual', 'Pan Source 1', 'Gain Source 1', 'Gain Source 1']);
  });

  it('does not coalesce with a step that was undone', () => {
    const s = add();
    const ch = findMixerChannel(f.lib, projectId, { sourceId: s.id }).id;
    setMixer(f.lib, projectId, ch, { gainDb: -3 });
    undo(f.lib, projectId);
    setMixer(f.lib, projectId, ch, { gainDb: -9 });
    undo(f.lib, projectId);
    expect(findMixerChannel(f.lib, projectId, { sourceId: s.id }).gainDb).toBe(0);
  });

  it('ducking everything but one source is one step', () => {
    const a = add(0.1, 0.1);
    const b = add(0.9, 0.9);
    setMixer(f.lib, projectId, findMixerChannel(f.lib, projectId, { sourceId: a.id }).id, { gainDb: -4, solo: true });
    const changed = duckAllBut(f.lib, projectId, a.id, 18);
    expect(changed.length).toBeGreaterThanOrEqual(2);
    const snap = openProject(f.lib, projectId);
    const gain = (sourceId: number | null, role = 'source') =>
      snap.mixer.channels.find((c) => c.sourceId === sourceId && c.role === role)!;
    expect(gain(a.id)).toMatchObject({ gainDb: 0, solo: false });
    expect(gain(b.id).gainDb).toBe(-18);
    expect(gain(null, 'residual').gainDb).toBe(-18);
    expect(gain(null, 'original').gainDb).toBe(0);
    undo(f.lib, projectId);
    const back = openProject(f.lib, projectId).mixer.channels;
    expect(back.find((c) => c.sourceId === a.id)).toMatchObject({ gainDb: -4, solo: true });
    expect(back.find((c) => c.sourceId === b.id)?.gainDb).toBe(0);
  });

  it('master gain is undoable; history survives a reopen', () => {
    setMasterGain(f.lib, projectId, -3);
    f.tick(1000);
    setMasterGain(f.lib, projectId, -5);
    const file = f.lib.file;
    f.lib.close();
    f.lib = openLibrary(file);
    expect(undo(f.lib, projectId)?.master?.masterGainDb).toBe(-3);
    expect(undo(f.lib, projectId)?.master?.masterGainDb).toBe(0);
  });
});

describe('stem edits of a source: strength and moved ranges', () => {
  it('stores the strength (default 0.5) and undoes a drag of it as one step', () => {
    const s = add();
    expect(s.strength).toBe(0.5);
    setSourceStrength(f.lib, projectId, s.id, 0.6);
    setSourceStrength(f.lib, projectId, s.id, 0.8);
    expect(listSources(f.lib, projectId)[0].strength).toBe(0.8);
    expect(historyState(f.lib, projectId).undoLabel).toBe('Strength of Source 1');
    undo(f.lib, projectId);
    expect(listSources(f.lib, projectId)[0].strength).toBe(0.5);
    redo(f.lib, projectId);
    expect(listSources(f.lib, projectId)[0].strength).toBe(0.8);
  });

  it('refuses a strength outside 0..1 with a message that says the range', () => {
    const s = add();
    expect(() => setSourceStrength(f.lib, projectId, s.id, 1.5)).toThrow('between 0 and 1');
    expect(() => setSourceStrength(f.lib, projectId, s.id, Number.NaN)).toThrow('between 0 and 1');
    expect(listSources(f.lib, projectId)[0].strength).toBe(0.5);
  });

  it('keeps moved ranges in order, each one undo step, and survives reopening', () => {
    const a = add(0.1, 0.1);
    const b = add(0.9, 0.9);
    moveStemRange(f.lib, projectId, a.id, { startSec: 1, endSec: 2, to: null });
    moveStemRange(f.lib, projectId, a.id, { startSec: 3, endSec: 4.5, to: b.id });
    expect(historyState(f.lib, projectId).undoLabel).toBe('Move part of Source 1 to Source 2');
    const reopened = openLibrary(path.join(f.dir, 'stemsight.db'));
    expect(listSources(reopened, projectId)[0].moves).toEqual([
      { startSec: 1, endSec: 2, to: null, seq: 1 },
      { startSec: 3, endSec: 4.5, to: b.id, seq: 2 },
    ]);
    reopened.close();
    undo(f.lib, projectId);
    expect(listSources(f.lib, projectId)[0].moves).toEqual([{ startSec: 1, endSec: 2, to: null, seq: 1 }]);
    undo(f.lib, projectId);
    expect(listSources(f.lib, projectId)[0].moves).toEqual([]);
  });

  it('refuses a range that is too short, a move to itself or to a removed source', () => {
    const a = add(0.1, 0.1);
    const b = add(0.9, 0.9);
    removeSource(f.lib, projectId, b.id);
    expect(() => moveStemRange(f.lib, projectId, a.id, { startSec: 1, endSec: 1.001, to: null })).toThrow('Select at least');
    expect(() => moveStemRange(f.lib, projectId, a.id, { startSec: 1, endSec: 2, to: a.id })).toThrow('another source');
    expect(() => moveStemRange(f.lib, projectId, a.id, { startSec: 1, endSec: 2, to: b.id })).toThrow();
    expect(listSources(f.lib, projectId)[0].moves).toEqual([]);
  });
});
