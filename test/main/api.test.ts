import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyFromRoots } from '../../src/main/access';
import { createApi, type Api, type MediaEngine } from '../../src/main/api';
import { libraryStore } from '../../src/main/services';
import { openLibrary, type Library } from '../../src/main/engine/project/db';
import { requests } from '../../src/shared/contract';
import { Cancelled } from '../../src/shared/errors';
import { NotFoundError } from '../../src/main/engine/project/rows';
import * as v from 'valibot';

let tmp: string;
let lib: Library;
let api: Api;
let peaksCalls: number;

const engine: MediaEngine = {
  async probe(file) {
    if (file.endsWith('silent.mp4')) {
      return { durationSec: 2, hasVideo: true, hasAudio: false, width: 320, height: 240, fps: 25, sampleRate: null, channels: null };
    }
    if (file.endsWith('broken.mp4')) throw new Error('moov atom not found\nstack…');
    return { durationSec: 3, hasVideo: true, hasAudio: true, width: 640, height: 360, fps: 25, sampleRate: 48000, channels: 2 };
  },
  async peaks(_file, pps) {
    peaksCalls++;
    return { peaksPerSecond: pps, durationSec: 3, channels: [Float32Array.from({ length: 3 * pps }, (_, i) => (i % 10) / 9 - 0.5)] };
  },
};

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-api-'));
  mkdirSync(path.join(tmp, 'media'));
  for (const f of ['clip.mp4', 'silent.mp4', 'broken.mp4']) writeFileSync(path.join(tmp, 'media', f), 'data');
  lib = openLibrary(':memory:');
  peaksCalls = 0;
  api = createApi({
    engine,
    store: libraryStore(lib),
    policy: await policyFromRoots([path.join(tmp, 'media')]),
    cacheDir: path.join(tmp, 'cache'),
    transport: 'web',
    version: '1.2.3',
    log: () => undefined,
  });
});

afterEach(() => {
  lib.close();
  rmSync(tmp, { recursive: true, force: true });
});

const clip = () => path.join(tmp, 'media', 'clip.mp4');

describe('api.dispatch', () => {
  it('validates the channel and the payload before running anything', async () => {
    expect(await api.dispatch('nope', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('projects.open', { projectId: 0 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('projects.open', { projectId: 1.5 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('media.open', { path: 'a\0b' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('media.open', { path: clip(), more: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('media.scene', { projectId: 1, scene: 'cartoon' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('editor.detections', { projectId: 1, path: '/etc' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await api.dispatch('app.info', null)).toMatchObject({ ok: true, result: { version: '1.2.3', transport: 'web', nativeDialogs: false } });
  });

  it('opens media into a project, reuses it on reopen, and lists it as recent', async () => {
    const r = await api.dispatch('media.open', { path: clip() });
    expect(r.ok).toBe(true);
    const project = v.parse(requests['media.open'].output, (r as { result: unknown }).result);
    expect(project).toMatchObject({ name: 'clip', media: { fileName: 'clip.mp4', width: 640, sampleRate: 48000, available: true } });
    const again = await api.call('media.open', { path: clip() });
    expect(again.id).toBe(project.id);
    const recent = await api.call('projects.recent', {});
    expect(recent.map((p) => p.id)).toEqual([project.id]);
    expect(v.parse(requests['projects.recent'].output, recent)[0]).toMatchObject({ mediaFileName: 'clip.mp4', available: true });
    expect(await api.mediaFile(project.media.id)).toMatch(/clip\.mp4$/);
    expect(await api.mediaFile(project.media.id + 100)).toBeNull();
  });

  it('explains media it cannot use in one line', async () => {
    const silent = await api.dispatch('media.open', { path: path.join(tmp, 'media', 'silent.mp4') });
    expect(silent).toMatchObject({ ok: false, error: { code: 'media_error', message: expect.stringContaining('no audio') } });
    const broken = await api.dispatch('media.open', { path: path.join(tmp, 'media', 'broken.mp4') });
    expect(broken).toMatchObject({ ok: false, error: { code: 'media_error' } });
    expect((broken as { error: { message: string } }).error.message).not.toContain('\n');
    expect(await api.call('projects.recent', {})).toEqual([]);
  });

  it('computes peaks once, caches them on disk, and reports a missing file', async () => {
    const project = await api.call('media.open', { path: clip() });
    const [a, b] = await Promise.all([
      api.call('media.peaks', { mediaId: project.media.id, peaksPerSecond: 20 }),
      api.call('media.peaks', { mediaId: project.media.id, peaksPerSecond: 20 }),
    ]);
    expect(a).toEqual(b);
    expect(a.channels[0]).toHaveLength(60);
    expect(Math.max(...a.channels[0])).toBeLessThanOrEqual(1);
    expect(Math.min(...a.channels[0])).toBeGreaterThanOrEqual(0);
    await api.call('media.peaks', { mediaId: project.media.id, peaksPerSecond: 20 });
    expect(peaksCalls).toBe(1);
    rmSync(clip());
    expect(await api.dispatch('media.peaks', { mediaId: project.media.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await api.call('projects.open', { projectId: project.id })).media.available).toBe(false);
  });

  it('removes projects and has no native dialog in the browser', async () => {
    const project = await api.call('media.open', { path: clip() });
    expect(await api.call('projects.remove', { projectId: project.id })).toEqual({ removed: true });
    expect(await api.dispatch('projects.open', { projectId: project.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await api.dispatch('media.openDialog', {})).toMatchObject({ ok: false, error: { code: 'unsupported' } });
  });

  it('answers every failure through the one error scheme: AppErrors keep their code, bugs become one logged line', async () => {
    const logged: string[] = [];
    const failing = (err: unknown) =>
      createApi({
        engine,
        store: {
          ...libraryStore(lib),
          findProjectByMediaPath: () => {
            throw err;
          },
        },
        policy: { roots: [realpathSync(path.join(tmp, 'media'))] },
        cacheDir: path.join(tmp, 'cache'),
        transport: 'web',
        version: '1',
        log: (m) => logged.push(m),
      });
    const open = (api: Api) => api.dispatch('media.open', { path: clip() });
    expect(await open(failing(new NotFoundError('project', 7)))).toEqual({ ok: false, error: { code: 'not_found', message: 'That item no longer exists; reload the project.' } });
    expect(await open(failing(new Cancelled()))).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(logged).toEqual([]);
    const bug = await open(failing(new TypeError('x is undefined\n  at f (api.ts:1)')));
    expect(bug).toEqual({ ok: false, error: { code: 'internal', message: 'media.open failed unexpectedly (x is undefined). Try again; if it keeps failing, report it with the details.' } });
    expect(logged).toEqual(['request media.open failed']);
  });

  it('validates events before they reach any transport', () => {
    const seen: string[] = [];
    const off = api.onEvent((name) => seen.push(name));
    api.emit('menu.command', { command: 'undo' });
    api.emit('menu.command', { command: 'format-disk' } as never);
    off();
    api.emit('menu.command', { command: 'redo' });
    expect(seen).toEqual(['menu.command']);
  });
});
