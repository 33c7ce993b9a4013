import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PREVIEW_PRIORITY } from '../../../src/main/editor/separation';
import { insertJob, listStems, updateJob } from '../../../src/main/engine/project';
import type { Manifest } from '../../../src/main/engine/separation/job';
import { codeOf, world, type FakeJob, type World } from './fakes';

let w: World;
beforeEach(() => (w = world()));
afterEach(() => w.close());

/** Writes what the separation worker writes for `sources` sources and returns its manifest. */
function stemsOf(job: FakeJob, sources: number, startSec = 0): Manifest {
  const outDir = job.params.outDir as string;
  mkdirSync(outDir, { recursive: true });
  const files = Array.from({ length: sources }, (_, i) => `source-${i + 1}.wav`);
  for (const f of [...files, 'residual.wav']) writeFileSync(path.join(outDir, f), `pcm of ${f}`);
  // The runner inserts the job row the stems link to.
  insertJob(w.lib, { id: job.id, kind: 'separation', projectId: w.projectId, mediaId: w.mediaId, params: {} });
  return {
    model: { name: 'test-model', version: '1' },
    parameters: { mask: 'soft', startSec },
    stems: { sources: files.map((file, i) => ({ index: i + 1, file, frame: 0, cell: [0, 0] })), residual: 'residual.wav', sampleRate: 44100, channels: 2, frames: 44100 },
    activity: { fps: 10, startTime: startSec, sources: files.map((_, i) => ({ index: i + 1, values: [0.12345, 1] })) },
  } as unknown as Manifest;
}

/** What the stem-edit worker writes: the stems it changed and the residual. */
function editedOf(job: FakeJob, changed: (string | null)[]) {
  const outDir = job.params.outDir as string;
  mkdirSync(outDir, { recursive: true });
  for (const f of [...changed, 'residual.wav']) if (f) writeFileSync(path.join(outDir, f), `edited ${f}`);
  insertJob(w.lib, { id: job.id, kind: 'stem-edit', projectId: w.projectId, mediaId: w.mediaId, params: {} });
  return { sources: changed, residual: 'residual.wav', sampleRate: 44100, channels: 2, frames: 44100 };
}

const kinds = () => w.jobs.started.map((j) => j.kind);

describe('separation of sources by name', () => {
  it("hands each source's query (point and/or class) to the job; only clicked sources get activity; a class change makes the stems stale", async () => {
    await w.editor.sources.addByName(w.projectId, 'speech');
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1, 'violin');
    w.editor.separation.start(w.projectId);
    const job = w.jobs.started.at(-1)!;
    expect(job.params.sources).toEqual([
      { x: null, y: null, timeSec: null, className: 'speaker' },
      { x: 0.2, y: 0.3, timeSec: 1, className: 'violin' },
    ]);
    const manifest = stemsOf(job, 2);
    manifest.activity = { fps: 10, startTime: 0, sources: [{ index: 2, values: [0.5, 0.25] }] };
    await job.finish('done', manifest);
    await vi.waitFor(() => expect(w.changes).toEqual([{ projectId: w.projectId, what: 'stems' }]));
    const st = await w.editor.state(w.projectId);
    expect(st.stemsStale).toBe(false);
    expect(st.stems.map((s) => s.activity?.values ?? null)).toEqual([null, [0.5, 0.25], null]);
    const changed = await w.editor.sources.setClass(w.projectId, st.sources[1].id, 'flute');
    expect(changed.stemsStale).toBe(true);
    expect((await w.editor.mixer.undo(w.projectId)).stemsStale).toBe(false);
    // A source named alone that gets a point is another query too.
    expect((await w.editor.sources.move(w.projectId, st.sources[0].id, { x: 0.5, y: 0.5, timeSec: 2 })).stemsStale).toBe(true);
  });
});

describe('separation service', () => {
  it('asks for a click before separating', async () => {
    expect(await codeOf(() => w.editor.separation.start(w.projectId))).toBe('bad_request');
    expect(w.jobs.started).toHaveLength(0);
  });

  it('runs a preview of the region on screen before the whole file, and records the stems of each', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    const ids = w.editor.separation.start(w.projectId, { startSec: 18, spanSec: 4 });
    expect(ids).toEqual(['job-1', 'job-2']);
    const [preview, full] = w.jobs.started;
    // The region is moved inside the 20 s clip.
    expect(preview).toMatchObject({ kind: 'separation', params: { media: w.mediaPath, sources: [{ x: 0.2, y: 0.3, timeSec: 1 }], format: 'f32', startSec: 16, durationSec: 4 }, options: { priority: PREVIEW_PRIORITY } });
    expect(full).toMatchObject({ params: { startSec: undefined, durationSec: undefined }, options: { priority: 0 } });
    expect(preview.params.outDir).not.toBe(full.params.outDir);

    await preview.finish('done', stemsOf(preview, 1, 16));
    await vi.waitFor(() => expect(w.changes).toEqual([{ projectId: w.projectId, what: 'stems' }]));
    let st = await w.editor.state(w.projectId);
    expect(st.stems.map((s) => [s.kind, s.preview, s.startSec])).toEqual([
      ['source', true, 16],
      ['residual', true, 16],
    ]);
    expect(st.stems[0].activity).toEqual({ fps: 10, startSec: 16, values: [0.123, 1] });

    await full.finish('done', stemsOf(full, 1));
    await vi.waitFor(() => expect(w.changes).toHaveLength(2));
    st = await w.editor.state(w.projectId);
    expect(st.stems.map((s) => [s.kind, s.preview])).toEqual([
      ['source', false],
      ['residual', false],
    ]);
  });

  it('hands real footage its detections (sources on faces are cleaned as dialogue), synthetic scenes none', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    w.editor.separation.start(w.projectId);
    expect(w.jobs.started[0].params).not.toHaveProperty('detections');
    insertJob(w.lib, { id: 'analysed', kind: 'analysis', projectId: w.projectId, mediaId: w.mediaId, params: {} });
    updateJob(w.lib, 'analysed', { state: 'done', result: { scene: { setting: 'auto', kind: 'real', verdict: null }, detections: { path: '/cache/detections/d.json', cached: false, frames: 4, tracks: 1 } } });
    w.editor.separation.start(w.projectId);
    expect(w.jobs.started.at(-1)!.params).toMatchObject({ detections: '/cache/detections/d.json' });
  });

  it('skips the preview when the region covers the whole clip', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    expect(w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 20 })).toEqual(['job-1']);
  });

  it('cancels the running separation of the project when a newer one starts', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 });
    await w.editor.sources.add(w.projectId, 0.6, 0.3, 2);
    w.editor.separation.start(w.projectId);
    expect(w.jobs.started.map((j) => j.state)).toEqual(['cancelled', 'cancelled', 'queued']);
    expect(w.jobs.started[2].params.sources).toHaveLength(2);
  });

  it('makes the preview and the whole file one user action: shown as one job by weight, cancelled together', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    // The runner reports each job as queued before start() returns: that first report already
    // names the action (a whole-file job waiting behind its preview showed as a job of its own).
    const atQueue: unknown[] = [];
    w.jobs.onStart = (id) => atQueue.push(w.editor.separation.actionOf(id));
    const [preview, full] = w.editor.separation.start(w.projectId, { startSec: 2, spanSec: 5 });
    expect(w.editor.separation.actionOf(preview)).toEqual({ id: preview, weight: 5 });
    expect(w.editor.separation.actionOf(full)).toEqual({ id: preview, weight: 20 });
    expect(w.editor.separation.together(full)).toEqual([preview, full]);
    expect(w.editor.separation.together('job-99')).toEqual(['job-99']);
    expect(atQueue).toEqual([
      { id: preview, weight: 5 },
      { id: preview, weight: 20 },
    ]);
    // Cancelling one part (the whole file here) stops the other.
    w.jobs.cancel(full);
    await vi.waitFor(() => expect(w.jobs.started.map((j) => j.state)).toEqual(['cancelled', 'cancelled']));
    expect(w.editor.separation.actionOf(preview)).toBeNull();
  });

  it('logs, and records nothing, when a finished job left broken stems', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    w.editor.separation.start(w.projectId);
    const job = w.jobs.started[0];
    const manifest = stemsOf(job, 1);
    manifest.stems.residual = 'missing.wav';
    await job.finish('done', manifest);
    await vi.waitFor(() => expect(w.logs).toEqual(['recording stems failed']));
    expect(w.changes).toEqual([]);
    expect((await w.editor.state(w.projectId)).stems).toEqual([]);
  });
});

describe('stems after a change of sources', () => {
  /** Two sources separated over the whole file; returns the source ids. */
  async function twoSeparated(): Promise<number[]> {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    const st = await w.editor.sources.add(w.projectId, 0.7, 0.3, 2);
    w.editor.separation.start(w.projectId);
    const job = w.jobs.started.at(-1)!;
    await job.finish('done', stemsOf(job, 2));
    await vi.waitFor(() => expect(w.changes.length).toBeGreaterThan(0));
    return st.sources.map((s) => s.id);
  }

  async function exportParams(): Promise<Record<string, unknown>> {
    const r = await w.editor.export.start(w.projectId, 'new');
    expect(r.jobId).not.toBeNull();
    return w.jobs.started.find((j) => j.id === r.jobId)!.params;
  }

  it('removing a source makes a set for the others with no separation: its stem joins the residual, the other stems stay as they were', async () => {
    const [speaker, violin] = await twoSeparated();
    const sep = w.jobs.started.at(-1)!;
    const before = await w.editor.state(w.projectId);
    const removedStem = before.stems.find((s) => s.sourceId === violin)!;
    const st = await w.editor.sources.remove(w.projectId, violin);
    // Stale until the new set is recorded; meanwhile the removed source's stem is played as part
    // of the residual, so the residual is never presented without that sound.
    expect(st.stemsStale).toBe(true);
    expect(st.stems.map((s) => s.sourceId)).not.toContain(violin);
    expect(st.residualParts).toEqual([removedStem]);
    await expect(w.editor.export.start(w.projectId, 'new')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('making them again') });

    // The export asked for what is due: a stem edit that adds the violin's stem to the residual.
    expect(kinds()).toEqual(['separation', 'stem-edit']);
    const fold = w.jobs.started.at(-1)!;
    const raw = sep.params.outDir as string;
    expect(fold.params).toMatchObject({
      sources: [{ file: path.join(raw, 'source-1.wav'), strength: 0.5, moves: [] }],
      residual: path.join(raw, 'residual.wav'),
      fold: [path.join(raw, 'source-2.wav')],
      order: [],
      startSec: 0,
    });
    // Asked again (the editor after its debounce), it starts the same work once more, nothing else.
    expect(w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 })).toHaveLength(1);
    expect(kinds()).toEqual(['separation', 'stem-edit', 'stem-edit']);
    expect(fold.state).toBe('cancelled');
    const last = w.jobs.started.at(-1)!;
    await last.finish('done', editedOf(last, [null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));

    const after = await w.editor.state(w.projectId);
    expect(after.residualParts).toEqual([]);
    expect(after.stems.map((s) => s.sourceId)).toEqual([speaker, null]);
    // The speaker's stem is the same file (and checksum) as before; only the residual is new.
    const rows = listStems(w.lib, w.projectId).filter((s) => s.jobId === last.id);
    expect(rows.find((s) => s.kind === 'source')).toMatchObject({ path: path.join(raw, 'source-1.wav'), sha256: listStems(w.lib, w.projectId).find((s) => s.id === before.stems[0].id)!.sha256 });
    expect(rows.find((s) => s.kind === 'residual')!.path).toBe(path.join(last.params.outDir as string, 'residual.wav'));
    // It fits: nothing more is due, and the export takes it.
    expect(w.editor.separation.start(w.projectId)).toEqual([]);
    const stems = (await exportParams()).stems as { path: string; name: string }[];
    expect(stems.map((s) => [s.name, s.path])).toEqual([
      ['Source 1', path.join(raw, 'source-1.wav')],
      ['residual', path.join(last.params.outDir as string, 'residual.wav')],
    ]);
    expect(kinds().filter((k) => k === 'separation')).toHaveLength(1);
  });

  it('an export started while the stems are stale and nothing runs starts what is due, once', async () => {
    const [, violin] = await twoSeparated();
    await w.editor.sources.remove(w.projectId, violin);
    const before = w.jobs.started.length;
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'new'))).toBe('bad_request');
    expect(w.jobs.started.slice(before).map((j) => j.kind)).toEqual(['stem-edit']);
    // Asking again while it runs starts nothing more.
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'new'))).toBe('bad_request');
    expect(w.jobs.started).toHaveLength(before + 1);
  });

  it('undoing the removal brings back the set that was separated for those sources, with no job; redo the folded one', async () => {
    const [, violin] = await twoSeparated();
    const full = (await w.editor.state(w.projectId)).stems.map((s) => s.id);
    // Undone at once, before anything ran.
    await w.editor.sources.remove(w.projectId, violin);
    let st = await w.editor.mixer.undo(w.projectId);
    expect(st.stemsStale).toBe(false);
    expect(st.stems.map((s) => s.id)).toEqual(full);

    // Undone after the removal's set was made: both sets stay, and each fits its sources again.
    await w.editor.sources.remove(w.projectId, violin);
    w.editor.separation.start(w.projectId);
    const fold = w.jobs.started.at(-1)!;
    await fold.finish('done', editedOf(fold, [null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    const folded = (await w.editor.state(w.projectId)).stems.map((s) => s.id);
    const jobs = w.jobs.started.length;
    st = await w.editor.mixer.undo(w.projectId);
    expect(st.stemsStale).toBe(false);
    expect(st.stems.map((s) => s.id)).toEqual(full);
    st = await w.editor.mixer.redo(w.projectId);
    expect(st.stemsStale).toBe(false);
    expect(st.stems.map((s) => s.id)).toEqual(folded);
    expect(w.editor.separation.start(w.projectId)).toEqual([]);
    expect(w.jobs.started).toHaveLength(jobs);
  });

  it('a source removed while its separation runs still needs a separation of the others', async () => {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    const st = await w.editor.sources.add(w.projectId, 0.7, 0.3, 2);
    const [preview] = w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 }).map((id) => w.jobs.started.find((j) => j.id === id)!);
    await preview.finish('done', stemsOf(preview, 2));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stems).toHaveLength(3));
    // Only a preview exists for these sources: no whole-file set can lose the violin.
    await w.editor.sources.remove(w.projectId, st.sources[1].id);
    w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 });
    expect(w.jobs.started.map((j) => [j.kind, j.state, (j.params.sources as unknown[]).length])).toEqual([
      ['separation', 'done', 2],
      ['separation', 'cancelled', 2],
      ['separation', 'queued', 1],
      ['separation', 'queued', 1],
    ]);
  });

  it('a removal from an edited set keeps the edited stems; a later edit starts from the separation, the removed stem folded in', async () => {
    const [speaker, violin] = await twoSeparated();
    const sep = w.jobs.started.at(-1)!;
    const raw = sep.params.outDir as string;
    await w.editor.sources.strength(w.projectId, speaker, 0.8);
    w.editor.separation.start(w.projectId);
    const edit = w.jobs.started.at(-1)!;
    // Nothing removed: nothing folded.
    expect(edit.params).toMatchObject({ fold: [] });
    await edit.finish('done', editedOf(edit, ['source-1.wav', null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    const editedSpeaker = path.join(edit.params.outDir as string, 'source-1.wav');

    await w.editor.sources.remove(w.projectId, violin);
    w.editor.separation.start(w.projectId);
    const fold = w.jobs.started.at(-1)!;
    // The edited speaker's stem as it is (no strength applied again), the violin's raw stem to the residual.
    expect(fold.params).toMatchObject({
      sources: [{ file: editedSpeaker, strength: 0.5, moves: [] }],
      residual: path.join(edit.params.outDir as string, 'residual.wav'),
      fold: [path.join(raw, 'source-2.wav')],
    });
    await fold.finish('done', editedOf(fold, [null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    const rows = listStems(w.lib, w.projectId).filter((s) => s.jobId === fold.id);
    expect(rows.map((s) => [s.kind, s.path, (s.params as { base?: string }).base])).toEqual([
      ['residual', path.join(fold.params.outDir as string, 'residual.wav'), sep.id],
      ['source', editedSpeaker, sep.id],
    ]);

    // A new strength: from the separation's raw stems, the violin's folded into the residual.
    await w.editor.sources.strength(w.projectId, speaker, 0.3);
    expect(w.editor.separation.start(w.projectId)).toHaveLength(1);
    expect(w.jobs.started.at(-1)!).toMatchObject({
      kind: 'stem-edit',
      params: { sources: [{ file: path.join(raw, 'source-1.wav'), strength: 0.3 }], residual: path.join(raw, 'residual.wav'), fold: [path.join(raw, 'source-2.wav')] },
    });
    expect(kinds().filter((k) => k === 'separation')).toHaveLength(1);
    // The separation stays on disk while a set made from it plays.
    expect(existsSync(raw)).toBe(true);
  });

  it("a removed source that moved a range into another source is not folded as it is: the stem edit from the separation redoes the other's stem", async () => {
    const [speaker, violin] = await twoSeparated();
    const raw = w.jobs.started.at(-1)!.params.outDir as string;
    await w.editor.sources.moveRange(w.projectId, violin, { startSec: 1, endSec: 2, to: speaker });
    w.editor.separation.start(w.projectId);
    const edit = w.jobs.started.at(-1)!;
    await edit.finish('done', editedOf(edit, ['source-1.wav', 'source-2.wav']));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    // The speaker's edited stem holds the violin's range, whose move went with the violin.
    await w.editor.sources.remove(w.projectId, violin);
    w.editor.separation.start(w.projectId);
    expect(w.jobs.started.at(-1)!).toMatchObject({
      kind: 'stem-edit',
      params: { sources: [{ file: path.join(raw, 'source-1.wav'), strength: 0.5, moves: [] }], residual: path.join(raw, 'residual.wav'), fold: [path.join(raw, 'source-2.wav')] },
    });
  });

  it('a moved source keeps its identity and makes the stems stale; one undo of the drag makes them fit again', async () => {
    const [speaker] = await twoSeparated();
    const before = await w.editor.state(w.projectId);
    // A drag sends the marker's position as it goes; the source stays the same one.
    await w.editor.sources.move(w.projectId, speaker, { x: 0.25, y: 0.35, timeSec: 3 });
    const st = await w.editor.sources.move(w.projectId, speaker, { x: 0.3, y: 0.4, timeSec: 3 });
    expect(st.sources.map((s) => [s.id, s.x, s.y, s.timeSec])).toEqual([
      [speaker, 0.3, 0.4, 3],
      [before.sources[1].id, 0.7, 0.3, 2],
    ]);
    expect(st.channels).toEqual(before.channels);
    expect(st.stemsStale).toBe(true);
    w.editor.separation.start(w.projectId);
    expect(w.jobs.started.at(-1)!.params.sources).toEqual([
      { x: 0.3, y: 0.4, timeSec: 3, className: null },
      { x: 0.7, y: 0.3, timeSec: 2, className: null },
    ]);
    const undone = await w.editor.mixer.undo(w.projectId);
    expect(undone.sources[0]).toMatchObject({ x: 0.2, y: 0.3, timeSec: 1 });
    expect(undone.stemsStale).toBe(false);
    expect(undone.stems.map((s) => s.id)).toEqual(before.stems.map((s) => s.id));
  });

  it('reopening a project whose whole file was never separated (only its preview) separates the whole file', async () => {
    await w.editor.sources.add(w.projectId, 0.1, 0.1, 0);
    const ids = w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 });
    const [preview, whole] = w.jobs.started.filter((j) => ids.includes(j.id));
    await preview.finish('done', stemsOf(preview, 1, 0));
    await vi.waitFor(() => expect(listStems(w.lib, w.projectId).filter((s) => s.jobId === preview.id)).toHaveLength(2));
    await whole.finish('cancelled');
    const before = w.jobs.started.length;
    w.reopen().opened(w.projectId);
    expect(w.jobs.started.slice(before).map((j) => [j.kind, j.params.startSec])).toEqual([['separation', undefined]]);
  });

  it('reopening a project whose stems were never made again for its sources starts what is due: after a removal, no separation', async () => {
    const [, violin] = await twoSeparated();
    const reopened = w.reopen();
    reopened.opened(w.projectId);
    expect(w.jobs.active('separation', { projectId: w.projectId })).toEqual([]);

    await w.editor.sources.remove(w.projectId, violin);
    // The app is killed before the removal's set was made: a new process opens it.
    const killed = w.jobs.started.length;
    w.reopen().opened(w.projectId);
    const resumed = w.jobs.started.slice(killed);
    expect(resumed.map((j) => [j.kind, (j.params.sources as unknown[]).length])).toEqual([['stem-edit', 1]]);
    // Opening it again while that runs does not start another.
    w.reopen().opened(w.projectId);
    expect(w.jobs.started).toHaveLength(killed + 1);
    // Once the set is made, a reopen starts nothing: the removal is neither undone nor separated again.
    await resumed[0].finish('done', editedOf(resumed[0], [null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    w.reopen().opened(w.projectId);
    expect(w.jobs.started).toHaveLength(killed + 1);
    expect((await w.reopen().state(w.projectId)).sources).toHaveLength(1);
  });

  it('a moved source still needs a separation when the app reopens', async () => {
    const [speaker] = await twoSeparated();
    await w.editor.sources.move(w.projectId, speaker, { x: 0.3, y: 0.4, timeSec: 3 });
    const killed = w.jobs.started.length;
    w.reopen().opened(w.projectId);
    expect(w.jobs.started.slice(killed).map((j) => [j.kind, j.params.startSec, (j.params.sources as unknown[]).length])).toEqual([['separation', undefined, 2]]);
  });
});

describe('old stem sets', () => {
  /** One whole-file separation of the current sources, recorded; returns its job. */
  async function separateAll(preview?: { startSec: number; spanSec: number }): Promise<FakeJob[]> {
    const ids = w.editor.separation.start(w.projectId, preview);
    const started = w.jobs.started.filter((j) => ids.includes(j.id));
    const count = (await w.editor.state(w.projectId)).sources.length;
    for (const job of started) await job.finish('done', stemsOf(job, count, (job.params.startSec as number | undefined) ?? 0));
    // Recorded, and the cleanup after it done.
    await vi.waitFor(() => expect(listStems(w.lib, w.projectId).filter((s) => s.jobId === started.at(-1)!.id)).toHaveLength(count + 1));
    await new Promise((r) => setTimeout(r, 50));
    return started;
  }

  it('keeps the set playing and the newest whole-file sets, deletes superseded previews and older sets with their folders', async () => {
    await w.editor.sources.add(w.projectId, 0.1, 0.1, 0);
    const [preview, first] = await separateAll({ startSec: 0, spanSec: 4 });
    // Its whole file replaced it (the two record at once: the preview may be recorded last).
    await vi.waitFor(() => expect(existsSync(preview.params.outDir as string)).toBe(false));
    const later: FakeJob[] = [];
    for (let i = 0; i < 4; i++) {
      await w.editor.sources.add(w.projectId, 0.2 + i / 10, 0.1, 0);
      later.push(...(await separateAll()));
    }
    // The newest three whole-file sets stay (undo finds them); the two oldest went, rows and folders.
    const kept = new Set(listStems(w.lib, w.projectId).map((s) => s.jobId));
    expect([...kept].sort()).toEqual(later.slice(1).map((j) => j.id).sort());
    expect(existsSync(first.params.outDir as string)).toBe(false);
    expect(existsSync(later[0].params.outDir as string)).toBe(false);
    for (const j of later.slice(1)) expect(existsSync(j.params.outDir as string)).toBe(true);
  });

  it('a preview recorded after its whole file (it finished later) neither plays nor stays', async () => {
    await w.editor.sources.add(w.projectId, 0.1, 0.1, 0);
    const ids = w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 });
    const [preview, whole] = w.jobs.started.filter((j) => ids.includes(j.id));
    expect([preview.params.startSec, whole.params.startSec]).toEqual([0, undefined]);
    await whole.finish('done', stemsOf(whole, 1));
    await vi.waitFor(() => expect(listStems(w.lib, w.projectId).filter((s) => s.jobId === whole.id)).toHaveLength(2));
    await preview.finish('done', stemsOf(preview, 1, 0));
    // Recorded, then dropped as superseded: its folder goes last.
    await vi.waitFor(() => expect(existsSync(preview.params.outDir as string)).toBe(false));
    expect(new Set(listStems(w.lib, w.projectId).map((s) => s.jobId))).toEqual(new Set([whole.id]));
    expect(existsSync(whole.params.outDir as string)).toBe(true);
  });

  it('never deletes a set an export in progress reads', async () => {
    await w.editor.sources.add(w.projectId, 0.1, 0.1, 0);
    const [first] = await separateAll();
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stems).toHaveLength(2));
    const exp = await w.editor.export.start(w.projectId, 'new');
    expect(exp.jobId).not.toBeNull();
    for (let i = 0; i < 4; i++) {
      await w.editor.sources.add(w.projectId, 0.2 + i / 10, 0.1, 0);
      await separateAll();
    }
    expect(existsSync(first.params.outDir as string)).toBe(true);
    // Once the export has finished, the next cleanup takes it.
    await w.jobs.started.find((j) => j.id === exp.jobId)!.finish('done', { folder: 'x' });
    await w.editor.sources.add(w.projectId, 0.9, 0.1, 0);
    await separateAll();
    expect(existsSync(first.params.outDir as string)).toBe(false);
  });
});

describe('stem edits: strength and moved ranges', () => {
  /** Two sources separated over the whole file; returns their ids and the separation job. */
  async function separated(): Promise<{ ids: number[]; job: FakeJob }> {
    await w.editor.sources.add(w.projectId, 0.2, 0.3, 1);
    const st = await w.editor.sources.add(w.projectId, 0.7, 0.3, 2);
    w.editor.separation.start(w.projectId);
    const job = w.jobs.started.at(-1)!;
    await job.finish('done', stemsOf(job, 2));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stems).toHaveLength(3));
    return { ids: st.sources.map((s) => s.id), job };
  }

  it('a strength change redoes only that stem and the residual from the separation, without the model; undo needs no job', async () => {
    const { ids, job: sep } = await separated();
    const before = await w.editor.state(w.projectId);
    const st = await w.editor.sources.strength(w.projectId, ids[0], 0.8);
    expect(st.sources[0].strength).toBe(0.8);
    expect(st.stemsStale).toBe(true);

    const started = w.editor.separation.start(w.projectId, { startSec: 0, spanSec: 4 });
    expect(started).toHaveLength(1);
    const edit = w.jobs.started.at(-1)!;
    expect(edit.kind).toBe('stem-edit');
    const raw = path.join(sep.params.outDir as string);
    expect(edit.params).toMatchObject({
      sources: [
        { file: path.join(raw, 'source-1.wav'), strength: 0.8, moves: [] },
        { file: path.join(raw, 'source-2.wav'), strength: 0.5, moves: [] },
      ],
      residual: path.join(raw, 'residual.wav'),
      startSec: 0,
    });
    await edit.finish('done', editedOf(edit, ['source-1.wav', null]));
    await vi.waitFor(async () => expect((await w.editor.state(w.projectId)).stemsStale).toBe(false));
    const stems = listStems(w.lib, w.projectId).filter((s) => s.jobId === edit.id);
    const rel = (p: string) => path.relative(path.dirname(raw), p);
    expect(stems.map((s) => [s.kind, rel(s.path)]).sort()).toEqual(
      [
        ['source', path.join(path.basename(edit.params.outDir as string), 'source-1.wav')],
        ['source', path.join(path.basename(raw), 'source-2.wav')],
        ['residual', path.join(path.basename(edit.params.outDir as string), 'residual.wav')],
      ].sort(),
    );

    // Undo: the separation's own set fits again; redo: the edited one. No job either way.
    const jobsBefore = w.jobs.started.length;
    const undone = await w.editor.mixer.undo(w.projectId);
    expect(undone.stemsStale).toBe(false);
    expect(undone.stems.map((s) => s.id)).toEqual(before.stems.map((s) => s.id));
    const redone = await w.editor.mixer.redo(w.projectId);
    expect(redone.stemsStale).toBe(false);
    expect(redone.stems.map((s) => s.id).sort()).toEqual(stems.map((s) => s.id).sort());
    expect(w.editor.separation.start(w.projectId)).toEqual([]);
    expect(w.jobs.started).toHaveLength(jobsBefore);
    // The separation the edited set was made from is kept for the next edit.
    expect(existsSync(raw)).toBe(true);
  });

  it('moved ranges go to the job in the order they were made, a range moved to a removed source to the residual', async () => {
    const { ids } = await separated();
    await w.editor.sources.moveRange(w.projectId, ids[1], { startSec: 1, endSec: 2, to: ids[0] });
    await w.editor.sources.moveRange(w.projectId, ids[0], { startSec: 3, endSec: 4, to: null });
    await w.editor.sources.moveRange(w.projectId, ids[1], { startSec: 5, endSec: 6, to: null });
    w.editor.separation.start(w.projectId);
    const edit = w.jobs.started.at(-1)!;
    expect(edit.kind).toBe('stem-edit');
    expect(edit.params.order).toEqual([
      [1, { startSec: 1, endSec: 2, to: 0 }],
      [0, { startSec: 3, endSec: 4, to: null }],
      [1, { startSec: 5, endSec: 6, to: null }],
    ]);
    await expect(w.editor.sources.moveRange(w.projectId, ids[0], { startSec: 1, endSec: 1.001, to: null })).rejects.toThrow('Select at least');
  });

  it('new clicks separate again, and that separation then gets the edits', async () => {
    const { ids } = await separated();
    await w.editor.sources.strength(w.projectId, ids[1], 0.2);
    await w.editor.sources.add(w.projectId, 0.5, 0.5, 0);
    w.editor.separation.start(w.projectId);
    const sep = w.jobs.started.at(-1)!;
    expect(sep.kind).toBe('separation');
    await sep.finish('done', stemsOf(sep, 3));
    await vi.waitFor(() => expect(w.jobs.started.at(-1)!.kind).toBe('stem-edit'));
    const edit = w.jobs.started.at(-1)!;
    expect((edit.params.sources as { file: string; strength: number }[]).map((s) => [path.dirname(s.file), s.strength])).toEqual([
      [sep.params.outDir, 0.5],
      [sep.params.outDir, 0.2],
      [sep.params.outDir, 0.5],
    ]);
  });
});
