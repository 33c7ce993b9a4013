import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginAnalysis, completeAnalysis, failAnalysis, insertJob, updateJob } from '../../../src/main/engine/project';
import { analysisKey } from '../../../src/main/engine/analysis/library-index';
import { ANALYSIS_PRIORITY } from '../../../src/main/editor/analysis';
import { CARD, world, type World } from './fakes';

let w: World;
beforeEach(() => (w = world()));
afterEach(() => w.close());

/** What the analysis worker leaves in the analyses table when it has built the cache. */
function cacheReady(): string {
  const meta = path.join(w.tmp, 'cache', 'analysis', 'meta.json');
  mkdirSync(path.dirname(meta), { recursive: true });
  writeFileSync(meta, '{}');
  const row = beginAnalysis(w.lib, analysisKey(w.mediaId, CARD));
  completeAnalysis(w.lib, row.id, meta);
  return meta;
}

/** The part of an analysis job's result the editor reads: the scene decision and the detections. */
function result(setting: string, kind: 'synthetic' | 'real', detections: string | null = null) {
  const verdict = setting === 'auto' ? { kind, frames: 6, framesWithPeople: kind === 'real' ? 5 : 0, bestFace: 0.9, bestPerson: 0.5 } : null;
  return { scene: { setting, kind, verdict }, detections: detections && { path: detections, cached: false, frames: 10, tracks: 2 } };
}

/** A finished analysis job in the jobs table, as a previous run of the app left it. */
function finishedJob(id: string, r: object): void {
  insertJob(w.lib, { id, kind: 'analysis', projectId: w.projectId, mediaId: w.mediaId, params: {} });
  updateJob(w.lib, id, { state: 'done', result: r as never });
}

describe('analysis service', () => {
  it('starts one analysis job per media, reports it running, and tells the UI when it ends', async () => {
    expect((await w.editor.state(w.projectId)).analysis).toBe('none');
    const id = await w.editor.analysis.analyze(w.projectId);
    expect(w.jobs.started).toHaveLength(1);
    expect(w.jobs.started[0]).toMatchObject({ kind: 'analysis', params: { media: w.mediaPath, index: { mediaId: w.mediaId, ready: [] }, scene: 'auto' }, options: { projectId: w.projectId, mediaId: w.mediaId, priority: ANALYSIS_PRIORITY } });
    expect(await w.editor.analysis.analyze(w.projectId)).toBe(id);
    expect(w.jobs.started).toHaveLength(1);
    expect((await w.editor.state(w.projectId)).analysis).toBe('running');

    cacheReady();
    await w.jobs.started[0].finish('done', result('auto', 'synthetic'));
    expect(w.changes).toEqual([{ projectId: w.projectId, what: 'analysis' }]);
    expect((await w.editor.state(w.projectId)).analysis).toBe('ready');
    expect(await w.editor.analysis.analyze(w.projectId)).toBeNull();
  });

  it('reads readiness from the analyses and jobs tables, so a restarted app does not analyse again', async () => {
    cacheReady();
    finishedJob('earlier', result('auto', 'real'));
    const restarted = w.reopen();
    expect((await restarted.state(w.projectId)).analysis).toBe('ready');
    expect(await restarted.analysis.analyze(w.projectId)).toBeNull();
    expect(w.jobs.started).toHaveLength(0);
  });

  it('reports a failed analysis from the table or from a job that failed before writing a row, and retries', async () => {
    const row = beginAnalysis(w.lib, analysisKey(w.mediaId, CARD));
    failAnalysis(w.lib, row.id, 'decoder crashed');
    expect((await w.editor.state(w.projectId)).analysis).toBe('failed');

    w.lib.db.prepare('DELETE FROM analyses').run();
    expect((await w.editor.state(w.projectId)).analysis).toBe('none');
    insertJob(w.lib, { id: 'old', kind: 'analysis', projectId: w.projectId, mediaId: w.mediaId, params: {} });
    updateJob(w.lib, 'old', { state: 'failed', errorMessage: 'no model installed' });
    expect((await w.editor.state(w.projectId)).analysis).toBe('failed');

    expect(await w.editor.analysis.analyze(w.projectId)).toBe('job-1');
    expect((await w.editor.state(w.projectId)).analysis).toBe('running');
  });

  it('serves heatmaps of the ready cache, clamped to its frames, and none before', async () => {
    expect(await w.editor.analysis.heatmaps(w.projectId, 0, 1)).toBeNull();
    const meta = cacheReady();
    const h = await w.editor.analysis.heatmaps(w.projectId, 1.9, 10);
    expect(h).toMatchObject({ grid: [2, 3], fps: 25, firstFrame: 47, frameCount: 3, totalFrames: 50 });
    const bytes = Buffer.from(h!.data, 'base64');
    expect([...bytes]).toEqual([...Array(6).fill(191), ...Array(6).fill(0), ...Array(6).fill(64)]);
    await w.editor.analysis.heatmaps(w.projectId, 0, 1);
    expect(w.engine.heatmapOpens).toEqual([meta]); // the open cache is reused
  });

  it('shows what the picture was taken for and why, and runs again (features cached) when the user says otherwise', async () => {
    cacheReady();
    expect((await w.editor.state(w.projectId)).scene).toEqual({ setting: 'auto', kind: null, reason: null });
    finishedJob('earlier', result('auto', 'synthetic'));
    expect((await w.editor.state(w.projectId)).scene).toEqual({ setting: 'auto', kind: 'synthetic', reason: 'no people seen in 6 of 6 frames looked at' });
    expect(await w.editor.analysis.analyze(w.projectId)).toBeNull();

    await w.editor.analysis.setScene(w.projectId, 'real');
    expect(w.jobs.started).toHaveLength(1);
    expect(w.jobs.started[0].params).toMatchObject({ scene: 'real' });
    // The earlier decision was for another setting: nothing is shown as decided until this job ends.
    expect((await w.editor.state(w.projectId)).scene).toEqual({ setting: 'real', kind: null, reason: null });
    expect(await w.editor.analysis.detections(w.projectId)).toBeNull();
    await w.jobs.started[0].finish('done', result('real', 'real', '/cache/detections/x.json'));
    expect((await w.editor.state(w.projectId)).scene).toEqual({ setting: 'real', kind: 'real', reason: null });
    expect(await w.editor.analysis.detections(w.projectId)).toEqual({ fps: 4, tracks: [{ track: 1, kind: 'face', times: [0], boxes: [[0.1, 0.1, 0.2, 0.2]], speaking: [0] }] });
    expect(w.engine.detectionReads).toEqual(['/cache/detections/x.json']);
    // The setting is stored in the project.
    expect((await w.reopen().state(w.projectId)).scene.setting).toBe('real');
  });

  it('answers not_found for a project that does not exist', async () => {
    await expect(w.editor.analysis.analyze(999)).rejects.toMatchObject({ code: 'not_found' });
  });
});
