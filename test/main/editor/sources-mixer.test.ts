import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { insertJob, recordStem, sha256File } from '../../../src/main/engine/project';
import { MAX_SOURCES } from '../../../src/shared/mixer';
import { codeOf, world, type World } from './fakes';

let w: World;
beforeEach(() => (w = world()));
afterEach(() => w.close());

describe('sources service', () => {
  it('adds, renames and removes sources, each answered with the new editor state', async () => {
    let st = await w.editor.sources.add(w.projectId, 0.25, 0.5, 3);
    expect(st.sources).toEqual([expect.objectContaining({ index: 1, x: 0.25, y: 0.5, timeSec: 3 })]);
    expect(st.channels.filter((c) => c.role === 'source')).toEqual([expect.objectContaining({ sourceId: st.sources[0].id })]);
    const id = st.sources[0].id;
    st = await w.editor.sources.rename(w.projectId, id, 'Guitar');
    expect(st.sources[0].name).toBe('Guitar');
    expect(st.history.canUndo).toBe(true);
    st = await w.editor.sources.remove(w.projectId, id);
    expect(st.sources).toEqual([]);
    expect(st.channels.some((c) => c.sourceId === id)).toBe(false);
  });

  it('turns unknown rows and bad input into errors the user can act on', async () => {
    expect(await codeOf(() => w.editor.sources.rename(w.projectId, 42, 'x'))).toBe('not_found');
    expect(await codeOf(() => w.editor.sources.add(w.projectId, 2, 0.5, 0))).toBe('bad_request');
    expect(await codeOf(() => w.editor.sources.add(999, 0.5, 0.5, 0))).toBe('not_found');
  });
});

describe('stems against sources', () => {
  /** A finished separation of the sources live now. */
  async function separate(job: string): Promise<void> {
    const st = await w.editor.state(w.projectId);
    insertJob(w.lib, { id: job, kind: 'separation', projectId: w.projectId, mediaId: w.mediaId, params: {} });
    const rows = [...st.sources.map((s) => ({ sourceId: s.id as number | null, kind: 'source' as const })), { sourceId: null, kind: 'residual' as const }];
    for (const [i, r] of rows.entries()) {
      const file = path.join(w.tmp, `${job}-${i}.wav`);
      writeFileSync(file, `pcm ${job} ${i}`);
      await recordStem(w.lib, { projectId: w.projectId, mediaId: w.mediaId, jobId: job, ...r, path: file, sha256: await sha256File(file), modelId: 'm', modelVersion: '1', params: {}, sampleRate: 44100, channels: 2, frames: 10, startFrame: 0, preview: false });
    }
  }

  it('are stale, as main decides, while a live source has no stem; an undone add makes them fit again', async () => {
    expect((await w.editor.sources.add(w.projectId, 0.2, 0.5, 0)).stemsStale).toBe(false); // no stems yet: nothing to redo
    await separate('one');
    expect((await w.editor.state(w.projectId)).stemsStale).toBe(false);
    expect((await w.editor.sources.add(w.projectId, 0.8, 0.5, 0)).stemsStale).toBe(true);
    expect((await w.editor.mixer.undo(w.projectId)).stemsStale).toBe(false);
    expect((await w.editor.mixer.redo(w.projectId)).stemsStale).toBe(true);
    await separate('two');
    expect((await w.editor.state(w.projectId)).stemsStale).toBe(false);
  });

  it('refuse a source beyond what one separation takes, with what to do', async () => {
    for (let i = 0; i < MAX_SOURCES; i++) await w.editor.sources.add(w.projectId, i / 10, 0.5, 0);
    await expect(w.editor.sources.add(w.projectId, 0.95, 0.5, 0)).rejects.toMatchObject({ code: 'bad_request', message: `A project separates at most ${MAX_SOURCES} sources; remove one before adding another.` });
    expect((await w.editor.state(w.projectId)).sources).toHaveLength(MAX_SOURCES);
  });
});

describe('mixer service', () => {
  it('sets, ducks and monitors, and undoes and redoes those edits', async () => {
    const a = (await w.editor.sources.add(w.projectId, 0.1, 0.1, 0)).sources[0].id;
    const st0 = await w.editor.sources.add(w.projectId, 0.9, 0.9, 0);
    const chA = st0.channels.find((c) => c.sourceId === a)!;
    let st = await w.editor.mixer.set(w.projectId, chA.id, { gainDb: -6, pan: 0.5 });
    expect(st.channels.find((c) => c.id === chA.id)).toMatchObject({ gainDb: -6, pan: 0.5 });
    const others = (x: typeof st) => x.channels.filter((c) => c.sourceId !== a && c.role !== 'original');
    st = await w.editor.mixer.duck(w.projectId, a, 12);
    expect(st.channels.find((c) => c.id === chA.id)?.gainDb).toBe(0);
    expect(others(st).every((c) => c.gainDb === -12)).toBe(true);
    st = await w.editor.mixer.undo(w.projectId);
    expect(st.channels.find((c) => c.id === chA.id)?.gainDb).toBe(-6);
    expect(others(st).some((c) => c.gainDb === -12)).toBe(false);
    st = await w.editor.mixer.redo(w.projectId);
    expect(others(st).every((c) => c.gainDb === -12)).toBe(true);
    st = await w.editor.mixer.monitor(w.projectId, 'original');
    expect(st.monitor).toBe('original');
  });

  it('refuses to duck for a source that is not in the project', async () => {
    expect(await codeOf(() => w.editor.mixer.duck(w.projectId, 77, 12))).toBe('not_found');
    expect(await codeOf(() => w.editor.mixer.set(w.projectId, 9999, { gainDb: 0 }))).toBe('not_found');
  });
});
