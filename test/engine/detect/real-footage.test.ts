import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectMedia, type Detections } from '../../../src/main/engine/detect/detect';
import { speechBetween } from '../../../src/main/engine/detect/speech';
import { iou } from '../../../src/main/engine/detect/track';
import { BAR55_2, JESPER_2_FACE, makeStillClip, makeTalkingClip, materialAvailable, type TalkingClip } from '../../fixtures/real/make-clips';

/**
 * The picture detector and the active-speaker matching on real photographs and a real voice
 * (test/fixtures/real: fetch-material.sh, which CI runs; without the material these tests are
 * skipped locally and fail in CI).
 */

const have = materialAvailable();
if (!have && process.env.CI) throw new Error('real test material is missing: run test/fixtures/real/fetch-material.sh');

describe.skipIf(!have)('real footage: faces, mouths and the active speaker', () => {
  let dir: string;
  let talking: TalkingClip;
  let still: string;
  let talk: Detections;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-detect-'));
    talking = makeTalkingClip(path.join(dir, 'talking.mp4'));
    still = makeStillClip(path.join(dir, 'still.mp4'));
    // Nothing may be downloaded: record any attempt (and fail it).
    const refuse = (what: string) => (...args: unknown[]) => {
      requests.push(`${what} ${String(args[0])}`);
      throw new Error('network access is not allowed in this test');
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation(refuse('fetch') as typeof fetch);
    vi.spyOn(http, 'request').mockImplementation(refuse('http') as typeof http.request);
    vi.spyOn(https, 'request').mockImplementation(refuse('https') as typeof https.request);
    vi.spyOn(http, 'get').mockImplementation(refuse('http') as typeof http.get);
    vi.spyOn(https, 'get').mockImplementation(refuse('https') as typeof https.get);
    // The plain path: one pass over the clip in this thread.
    talk = (await detectMedia(talking.file, { cacheRoot: dir, workers: 0, segmentFrames: 1e6 })).detections;
  }, 600_000);

  afterAll(() => {
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const faceTrackAt = (d: Detections, box: number[]) => {
    const counts = new Map<number, number>();
    for (const f of d.frames) for (const o of f.objects) if (o.kind === 'face' && iou(o.box, box) > 0.4) counts.set(o.track, (counts.get(o.track) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  };

  it('finds the face where it is in a real photograph, with a mouth opening, offline', async () => {
    const r = await detectMedia(still, { cacheRoot: dir });
    expect(r.detections.frames.length).toBeGreaterThanOrEqual(10); // 3 s at 4 fps
    for (const f of r.detections.frames) {
      const faces = f.objects.filter((o) => o.kind === 'face');
      expect(faces).toHaveLength(1);
      expect(iou(faces[0].box, JESPER_2_FACE)).toBeGreaterThan(0.5);
      expect(faces[0].mouth).toBeGreaterThanOrEqual(0);
      expect(faces[0].mouth).toBeLessThan(0.3);
    }
    expect(new Set(r.detections.frames.flatMap((f) => f.objects.filter((o) => o.kind === 'face').map((o) => o.track))).size).toBe(1);
    expect(requests).toEqual([]);
  });

  it('follows both faces of the two-person photo on one track each', () => {
    const man = faceTrackAt(talk, BAR55_2.man), woman = faceTrackAt(talk, BAR55_2.woman);
    expect(man).toBeDefined();
    expect(woman).toBeDefined();
    expect(man).not.toBe(woman);
    const seen = (track: number) => talk.frames.filter((f) => f.objects.some((o) => o.track === track)).length;
    expect(seen(man!)).toBeGreaterThan(0.9 * talk.frames.length);
    expect(seen(woman!)).toBeGreaterThan(0.9 * talk.frames.length);
    expect(talk.frames.some((f) => f.objects.some((o) => o.kind === 'person'))).toBe(true);
    expect(talk.frames.some((f) => f.objects.some((o) => o.kind === 'hand'))).toBe(true);
  });

  it('hears the speech: the voice activity is high in the spoken parts and low in the pauses', () => {
    const s = { rate: talk.speech!.rate, probs: Float32Array.from(talk.speech!.probs) };
    for (const [a, b] of talking.speech) expect(speechBetween(s, a, b)).toBeGreaterThan(0.5);
    for (let k = 0; k + 1 < talking.speech.length; k++) expect(speechBetween(s, talking.speech[k][1] + 0.2, talking.speech[k + 1][0] - 0.2)).toBeLessThan(0.1);
  });

  it("matches the moving mouth to the voice: the man speaks, the still woman does not", () => {
    const man = faceTrackAt(talk, BAR55_2.man)!, woman = faceTrackAt(talk, BAR55_2.woman)!;
    const inSpeech = (t: number) => talking.speech.some(([a, b]) => t >= a + 0.3 && t <= b - 0.3);
    const inPause = (t: number) => !talking.speech.some(([a, b]) => t >= a - 0.6 && t <= b + 0.6);
    const mean = (track: number, when: (t: number) => boolean) => {
      const v = talk.frames.filter((f) => when(f.time)).flatMap((f) => f.objects.filter((o) => o.track === track).map((o) => o.speaking!));
      expect(v.length).toBeGreaterThan(3);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(mean(man, inSpeech)).toBeGreaterThan(0.4);
    expect(mean(woman, inSpeech)).toBeLessThan(0.15);
    expect(mean(man, inPause)).toBeLessThan(0.1);
    // The man's mouth opening itself follows the voice.
    const open = (when: (t: number) => boolean) => {
      const v = talk.frames.filter((f) => when(f.time)).flatMap((f) => f.objects.filter((o) => o.track === man).map((o) => o.mouth!));
      return Math.max(...v);
    };
    expect(open(inSpeech)).toBeGreaterThan(0.2);
    expect(open(inPause)).toBeLessThan(0.15);
    expect(requests).toEqual([]);
  });

  it('runs during analysis on real footage (set, or decided on auto), sharing the cache with the CLI', async () => {
    const job = (await import('../../../src/main/engine/analysis/job')).default;
    const steps: number[] = [];
    const ctx = { jobId: 't', signal: new AbortController().signal, cancelled: false, throwIfCancelled() {}, progress: (_s: string, f: number) => void steps.push(f), record() {} };
    const r = await job.run({ media: still, cacheRoot: dir, scene: 'real', device: 'cpu' }, ctx);
    expect(r.frames).toBeGreaterThan(0);
    expect(r.scene).toEqual({ setting: 'real', kind: 'real', verdict: null });
    expect(r.detections).toMatchObject({ cached: true, frames: 12, tracks: expect.any(Number) });
    expect(steps.every((f, i) => i === 0 || f >= steps[i - 1])).toBe(true);
    const auto = await job.run({ media: still, cacheRoot: dir, scene: 'auto', device: 'cpu' }, ctx);
    expect(auto.scene).toMatchObject({ setting: 'auto', kind: 'real', verdict: { kind: 'real' } });
    expect(auto.detections).toMatchObject({ cached: true });
    const plain = await job.run({ media: still, cacheRoot: dir, scene: 'synthetic', device: 'cpu' }, ctx);
    expect(plain.scene).toEqual({ setting: 'synthetic', kind: 'synthetic', verdict: null });
    expect(plain.detections).toBeNull();
  }, 300_000);

  it('finds exactly the same with the clip cut into segments that two worker threads detect side by side', async () => {
    const parallel = (await detectMedia(talking.file, { cacheRoot: path.join(dir, 'parallel'), workers: 2, segmentFrames: 8 })).detections;
    expect(parallel.frames.length).toBe(talk.frames.length);
    expect(parallel.frames).toEqual(talk.frames);
    expect(parallel.speech).toEqual(talk.speech);
    expect(requests).toEqual([]);
  }, 300_000);

  it('reads the detections back from the cache the second time', async () => {
    const again = await detectMedia(talking.file, { cacheRoot: dir });
    expect(again.cached).toBe(true);
    expect(again.detections.frames).toEqual(talk.frames);
  });
});
