import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../../src/main/api';
import { libraryStore } from '../../../src/main/services';
import { policyFromRoots } from '../../../src/main/access';
import { SOURCE_CLASSES } from '../../../src/shared/classes';
import { world, type World } from './fakes';

let w: World;
let api: Api;
beforeEach(async () => {
  w = world();
  api = createApi({
    engine: { probe: async () => Promise.reject(new Error('unused')), peaks: async () => Promise.reject(new Error('unused')) },
    store: libraryStore(w.lib),
    policy: await policyFromRoots([path.dirname(w.mediaPath)]),
    cacheDir: path.join(w.tmp, 'cache'),
    transport: 'web',
    version: 'test',
    editor: w.editor,
    log: () => undefined,
  });
});
afterEach(() => w.close());

describe('sources by name through the API', () => {
  it('adds a source by name, adds a click with its class, and sets, changes and clears a class', async () => {
    let r = await api.dispatch('sources.addByName', { projectId: w.projectId, className: 'speech' });
    expect(r).toMatchObject({ ok: true });
    r = await api.dispatch('sources.add', { projectId: w.projectId, x: 0.3, y: 0.4, timeSec: 1, className: 'guitar' });
    const sources = (r as { ok: true; result: { sources: unknown[] } }).result.sources;
    expect(sources).toEqual([
      expect.objectContaining({ index: 1, name: 'Speaker', className: 'speaker', x: null, y: null, timeSec: null }),
      expect.objectContaining({ index: 2, className: 'guitar', x: 0.3, y: 0.4, timeSec: 1 }),
    ]);
    const clicked = (sources[1] as { id: number }).id;
    r = await api.dispatch('sources.setClass', { projectId: w.projectId, sourceId: clicked, className: 'Banjo' });
    expect(r).toMatchObject({ ok: true, result: { sources: [{}, { className: 'banjo' }], history: { undoLabel: 'Set Source 2 to banjo' } } });
    r = await api.dispatch('sources.setClass', { projectId: w.projectId, sourceId: clicked, className: null });
    expect(r).toMatchObject({ ok: true, result: { sources: [{}, { className: null }] } });
    r = await api.dispatch('history.undo', { projectId: w.projectId });
    expect(r).toMatchObject({ ok: true, result: { sources: [{}, { className: 'banjo' }] } });
  });

  it('validates in main: unknown classes list the names, a source named alone keeps its class, payloads are checked', async () => {
    const refused = await api.dispatch('sources.addByName', { projectId: w.projectId, className: 'kazoo' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining(SOURCE_CLASSES.join(', ')) } });
    for (const bad of [
      { projectId: w.projectId },
      { projectId: w.projectId, className: 7 },
      { projectId: w.projectId, className: 'x'.repeat(41) },
      { projectId: w.projectId, className: 'piano', x: 0.5 },
    ]) {
      expect(await api.dispatch('sources.addByName', bad)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    expect(await api.dispatch('sources.add', { projectId: w.projectId, x: 0.5, y: 0.5, timeSec: 0, className: 'tuba' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringMatching(/'tuba' is not a sound class/) },
    });
    const named = await api.dispatch('sources.addByName', { projectId: w.projectId, className: 'piano' });
    const id = (named as { ok: true; result: { sources: { id: number }[] } }).result.sources[0].id;
    expect(await api.dispatch('sources.setClass', { projectId: w.projectId, sourceId: id, className: null })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringMatching(/asked for by its class alone/) },
    });
    expect(await api.dispatch('sources.setClass', { projectId: w.projectId, sourceId: 999, className: 'piano' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await api.dispatch('sources.setClass', { projectId: w.projectId, sourceId: id })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // Nothing refused was stored.
    const st = await w.editor.state(w.projectId);
    expect(st.sources.map((s) => s.className)).toEqual(['piano']);
  });
});
