import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { policyFromRoots } from '../../../src/main/access';
import { exportFolders } from '../../../src/main/editor/adapters';
import { insertJob, recordStem, sha256File } from '../../../src/main/engine/project';
import { codeOf, world, type World } from './fakes';
import type { AppError } from '../../../src/shared/errors';

let w: World;
afterEach(() => w.close());

/** A finished whole-file separation of the project's sources (stems recorded as the service does). */
async function separated(preview = false, jobId = 'sep'): Promise<void> {
  const st = await w.editor.state(w.projectId);
  insertJob(w.lib, { id: jobId, kind: 'separation', projectId: w.projectId, mediaId: w.mediaId, params: {} });
  const rows = [...st.sources.map((s) => ({ sourceId: s.id as number | null, kind: 'source' as const })), { sourceId: null, kind: 'residual' as const }];
  for (const [i, r] of rows.entries()) {
    const file = path.join(w.tmp, `stem-${i}.wav`);
    writeFileSync(file, `pcm ${i}`);
    await recordStem(w.lib, { projectId: w.projectId, mediaId: w.mediaId, jobId, ...r, path: file, sha256: await sha256File(file), modelId: 'm', modelVersion: '1', params: {}, sampleRate: 44100, channels: 2, frames: 10, startFrame: 0, preview });
  }
}

async function typedWorld(): Promise<{ root: string }> {
  w = world();
  const root = path.join(w.tmp, 'exports');
  mkdirSync(path.join(root, 'inside'), { recursive: true });
  w.editor = w.reopen(exportFolders(await policyFromRoots([root, path.dirname(w.mediaPath)]), 'typed'));
  return { root };
}

describe('export folders, decided by the transport the services are wired for', () => {
  it('browser: a typed folder must exist inside the roots; there is no dialog', async () => {
    const { root } = await typedWorld();
    const st = await w.editor.export.settings(w.projectId, { folder: path.join(root, 'inside'), format: 'wav24' });
    expect(st.exportSettings).toMatchObject({ folder: path.join(root, 'inside'), format: 'wav24' });
    expect(await codeOf(() => w.editor.export.settings(w.projectId, { folder: w.tmp }))).toBe('forbidden');
    expect(await codeOf(() => w.editor.export.settings(w.projectId, { folder: path.join(root, 'nope') }))).toBe('not_found');
    expect(await codeOf(() => w.editor.export.chooseFolder(w.projectId))).toBe('unsupported');
  });

  it('desktop: folders come only from the dialog, which is offered the suggested folder', async () => {
    w = world();
    const policy = await policyFromRoots([path.dirname(w.mediaPath)]);
    const asked: (string | null)[] = [];
    const picked = path.join(w.tmp, 'anywhere');
    w.editor = w.reopen(exportFolders(policy, 'dialog', async (s) => (asked.push(s), picked)));
    expect(await codeOf(() => w.editor.export.settings(w.projectId, { folder: w.tmp }))).toBe('forbidden');
    expect((await w.editor.export.settings(w.projectId, { includeMix: false })).exportSettings.includeMix).toBe(false);
    expect(await w.editor.export.chooseFolder(w.projectId)).toBe(picked);
    expect(asked).toEqual([path.dirname(w.mediaPath)]);
    expect((await w.editor.state(w.projectId)).exportSettings.folder).toBe(picked);
  });
});

describe('export service', () => {
  it('refuses to export nothing, before stems exist, and while only a preview exists (then the whole file is separated)', async () => {
    await typedWorld();
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'ask'))).toBe('bad_request');
    await w.editor.sources.add(w.projectId, 0.5, 0.5, 0);
    // A preview whose whole-file separation stopped (cancelled, failed, or the app closed).
    await separated(true);
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'ask'))).toBe('bad_request');
    expect(w.jobs.started.map((j) => [j.kind, j.params.startSec])).toEqual([['separation', undefined]]);
    // Asked again while that runs: nothing more starts.
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'ask'))).toBe('bad_request');
    await w.editor.export.settings(w.projectId, { includeStems: false, includeMix: false, includeVideo: false, includeDaw: false });
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'ask'))).toBe('bad_request');
    expect(w.jobs.started).toHaveLength(1);
  });

  it('exports the stems with their mixer settings into the project folder, and asks before replacing', async () => {
    await typedWorld();
    const st0 = await w.editor.sources.add(w.projectId, 0.5, 0.5, 0);
    await w.editor.sources.rename(w.projectId, st0.sources[0].id, 'Voice');
    const ch = st0.channels.find((c) => c.sourceId === st0.sources[0].id)!;
    await w.editor.mixer.set(w.projectId, ch.id, { gainDb: -3, pan: -0.5 });
    await w.editor.export.settings(w.projectId, { includeVideo: true });
    await separated();

    // No folder set: the media's folder (inside the roots) is suggested and used.
    const r = await w.editor.export.start(w.projectId, 'ask');
    const folder = path.join(path.dirname(w.mediaPath), 'Clip export');
    expect(r).toEqual({ jobId: 'job-1', folder, conflict: false });
    const job = w.jobs.started[0];
    expect(job).toMatchObject({ kind: 'export', options: { projectId: w.projectId, mediaId: w.mediaId } });
    expect(job.params).toMatchObject({ media: w.mediaPath, projectName: 'Clip', folder, replace: false, format: 'wav24', targets: ['stems', 'daw', 'video'] });
    expect(job.params.stems).toEqual([
      expect.objectContaining({ name: 'Voice', index: 1, gainDb: -3, pan: -0.5, mute: false, solo: false, path: path.join(w.tmp, 'stem-0.wav') }),
      expect.objectContaining({ name: 'residual', index: 2, gainDb: 0, colour: '#8d95a5' }),
    ]);
    await job.finish('done', { folder });
    await vi.waitFor(() => expect(w.changes).toEqual([{ projectId: w.projectId, what: 'export', detail: folder }]));

    mkdirSync(folder);
    expect(await w.editor.export.start(w.projectId, 'ask')).toEqual({ jobId: null, folder, conflict: true });
    expect(w.jobs.started).toHaveLength(1);
    expect((await w.editor.export.start(w.projectId, 'replace')).jobId).toBe('job-2');
    expect(w.jobs.started[1].params.replace).toBe(true);
  });

  it('measures the loudness of the remix with the mixer levels, and only once the whole file is separated', async () => {
    w = world();
    expect(await codeOf(() => w.editor.loudness.measure(w.projectId))).toBe('bad_request');
    const st0 = await w.editor.sources.add(w.projectId, 0.5, 0.5, 0);
    await separated(true, 'preview');
    expect(await codeOf(() => w.editor.loudness.measure(w.projectId))).toBe('bad_request');
    await separated();
    const ch = st0.channels.find((c) => c.sourceId === st0.sources[0].id)!;
    await w.editor.mixer.set(w.projectId, ch.id, { gainDb: -6, mute: true });
    expect(await w.editor.loudness.measure(w.projectId)).toEqual({ integratedLufs: -23, momentaryMaxLufs: -20.5, shortTermMaxLufs: null, samplePeakDb: -6.02, durationSec: 8 });
    expect(w.engine.measured).toEqual([[
      { path: path.join(w.tmp, 'stem-0.wav'), gainDb: -6, mute: true, solo: false, pan: 0 },
      { path: path.join(w.tmp, 'stem-1.wav'), gainDb: 0, mute: false, solo: false, pan: 0 },
    ]]);
  });

  it('exports a selection as a region: checked against the media, named for its range', async () => {
    await typedWorld();
    await w.editor.sources.add(w.projectId, 0.5, 0.5, 0);
    await separated();
    // The media lasts 20 s.
    const refused = (range: { startSec: number; endSec: number }) =>
      w.editor.export.start(w.projectId, 'ask', range).then(
        () => 'started',
        (e: AppError) => `${e.code}: ${e.message}`,
      );
    expect(await refused({ startSec: Number.NaN, endSec: 2 })).toMatch(/^bad_request: The selection to export needs a start and an end in seconds; select the range again/);
    expect(await refused({ startSec: 1, endSec: Number.POSITIVE_INFINITY })).toMatch(/needs a start and an end/);
    expect(await refused({ startSec: 3, endSec: 3 })).toMatch(/ends \(3 s\) before it starts \(3 s\)/);
    expect(await refused({ startSec: 4, endSec: 2 })).toMatch(/ends \(2 s\) before it starts/);
    expect(await refused({ startSec: -1, endSec: 2 })).toMatch(/is not inside the media \(0 s to 20 s\)/);
    expect(await refused({ startSec: 19, endSec: 20.5 })).toMatch(/not inside the media/);
    expect(w.jobs.started).toEqual([]);

    const r = await w.editor.export.start(w.projectId, 'ask', { startSec: 1.5, endSec: 20 });
    expect(r.folder).toBe(path.join(path.dirname(w.mediaPath), 'Clip 1.50-20.00s export'));
    expect(w.jobs.started[0].params).toMatchObject({ folder: r.folder, range: { startSec: 1.5, endSec: 20 } });
    // Without a range: the whole file.
    await w.editor.export.start(w.projectId, 'ask');
    expect(w.jobs.started[1].params).toMatchObject({ folder: path.join(path.dirname(w.mediaPath), 'Clip export'), range: null });
  });

  it('says the media is missing instead of exporting', async () => {
    await typedWorld();
    rmSync(w.mediaPath);
    await expect(w.editor.export.start(w.projectId, 'ask')).rejects.toMatchObject({ code: 'not_found', message: 'clip.mp4 is missing; move it back or open it again.' });
  });
});
