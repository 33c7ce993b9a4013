import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { policyFromRoots } from '../../../src/main/access';
import { createApi } from '../../../src/main/api';
import { libraryStore } from '../../../src/main/services';
import { insertJob, recordStem, sha256File } from '../../../src/main/engine/project';
import { codeOf, world, type World } from './fakes';

/** Stems that no longer match the sources: never exported as the project's sound, re-separated on reopening. */

let w: World;
afterEach(() => w.close());

/** A finished whole-file separation of these sources, recorded as the service does. */
async function separated(jobId: string, sourceIds: number[]): Promise<void> {
  insertJob(w.lib, { id: jobId, kind: 'separation', projectId: w.projectId, mediaId: w.mediaId, params: {} });
  const rows = [...sourceIds.map((id) => ({ sourceId: id as number | null, kind: 'source' as const })), { sourceId: null, kind: 'residual' as const }];
  for (const [i, r] of rows.entries()) {
    const file = path.join(w.tmp, `${jobId}-${i}.wav`);
    writeFileSync(file, `pcm ${jobId} ${i}`);
    await recordStem(w.lib, { projectId: w.projectId, mediaId: w.mediaId, jobId, ...r, path: file, sha256: await sha256File(file), modelId: 'm', modelVersion: '1', params: {}, sampleRate: 44100, channels: 2, frames: 10, startFrame: 0, preview: false });
  }
}

async function twoSourcesSeparatedThenOneRemoved(): Promise<{ kept: number; removed: number }> {
  w = world();
  await w.editor.sources.add(w.projectId, 0.2, 0.5, 0);
  const st = await w.editor.sources.add(w.projectId, 0.8, 0.5, 0);
  const [kept, removed] = st.sources.map((s) => s.id);
  await separated('sep-1', [kept, removed]);
  await w.editor.sources.remove(w.projectId, removed);
  return { kept, removed };
}

describe('stems older than the sources', () => {
  it('removing a source and exporting is refused until the separation after the edit has finished', async () => {
    const { kept } = await twoSourcesSeparatedThenOneRemoved();
    // The re-separation is running: the residual on record still lacks the removed source's sound.
    w.editor.separation.start(w.projectId);
    expect(await codeOf(() => w.editor.export.start(w.projectId, 'new'))).toBe('bad_request');
    // It was killed (no job on its way): still refused, the stems are older than the edit.
    w.jobs.started.forEach((j) => (j.state = 'failed'));
    await expect(w.editor.export.start(w.projectId, 'new')).rejects.toThrow(/older than your last change to the sources/);
    expect(w.jobs.started.filter((j) => j.kind === 'export')).toEqual([]);
    // Once a separation of the current sources is recorded, the export runs on its stems.
    await separated('sep-2', [kept]);
    const r = await w.editor.export.start(w.projectId, 'new');
    expect(r.jobId).not.toBeNull();
    const exported = w.jobs.started.find((j) => j.kind === 'export')!.params.stems as { path: string }[];
    expect(exported.map((s) => path.basename(s.path))).toEqual(['sep-2-0.wav', 'sep-2-1.wav']);
  });

  it('reopening a project whose re-separation was killed starts it again, and a current one starts nothing', async () => {
    const { kept } = await twoSourcesSeparatedThenOneRemoved();
    // The app restarts: a new editor over the same library, opened through the API.
    const editor = w.reopen();
    const api = createApi({
      editor,
      store: libraryStore(w.lib),
      engine: { probe: async () => { throw new Error('unused'); }, peaks: async () => { throw new Error('unused'); } },
      policy: await policyFromRoots([w.tmp]),
      cacheDir: path.join(w.tmp, 'cache'),
      transport: 'web',
      version: '1',
      log: () => undefined,
    });
    await api.call('projects.open', { projectId: w.projectId });
    const again = w.jobs.started.filter((j) => j.kind === 'separation');
    expect(again).toHaveLength(1);
    expect(again[0].params.sources).toEqual([{ x: 0.2, y: 0.5, timeSec: 0 }]);
    // Opening again while it runs starts no second one; once recorded, reopening starts nothing.
    await api.call('projects.open', { projectId: w.projectId });
    expect(w.jobs.started.filter((j) => j.kind === 'separation')).toHaveLength(1);
    again[0].state = 'done';
    await separated('sep-2', [kept]);
    await api.call('projects.open', { projectId: w.projectId });
    expect(w.jobs.started.filter((j) => j.kind === 'separation')).toHaveLength(1);
  });
});
