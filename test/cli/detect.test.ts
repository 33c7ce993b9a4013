import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { cli } from './run-cli';
import { makeMediaFixtures, type MediaFixtures } from '../fixtures/make-media';
import { JESPER_2_FACE, makeStillClip, materialAvailable } from '../fixtures/real/make-clips';
import { iou } from '../../src/main/engine/detect/track';

/** `stemsight detect clip --out DIR`: the judged DIR/detections.json contract. */

const unit = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const DetectionsJson = v.strictObject({
  frames: v.array(
    v.strictObject({
      time: v.pipe(v.number(), v.minValue(0)),
      objects: v.array(
        v.strictObject({
          kind: v.picklist(['face', 'person', 'hand']),
          track: v.pipe(v.number(), v.integer(), v.minValue(1)),
          box: v.pipe(v.tuple([unit, unit, unit, unit]), v.check(([x0, y0, x1, y1]) => x0 <= x1 && y0 <= y1, 'box corners out of order')),
          score: unit,
          mouth: v.optional(unit),
          speaking: v.optional(unit),
        }),
      ),
    }),
  ),
});

let fx: MediaFixtures;
let dir: string;
let env: Record<string, string>;
beforeAll(() => {
  fx = makeMediaFixtures();
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-detect-cli-'));
  env = { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') };
});
afterAll(() => {
  fx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function readDetections(out: string) {
  const text = readFileSync(path.join(out, 'detections.json'), 'utf8');
  return v.parse(DetectionsJson, JSON.parse(text));
}

describe('stemsight detect', () => {
  it('writes detections.json in the documented shape, one frame per quarter second, even with nothing found', async () => {
    const out = path.join(dir, 'pattern');
    const r = await cli(['detect', fx.mp4, '--out', out], env);
    expect(r.code, r.stderr).toBe(0);
    const d = readDetections(out);
    expect(d.frames.length).toBe(8); // 2 s at 4 fps
    d.frames.forEach((f, i) => expect(f.time).toBeCloseTo(i / 4, 6));
    expect(d.frames.flatMap((f) => f.objects).filter((o) => o.kind === 'face')).toEqual([]);
  }, 180_000);

  it.skipIf(!materialAvailable())('on a real photograph: the face, its track, its mouth and whether it speaks', async () => {
    const clip = makeStillClip(path.join(dir, 'still.mp4'));
    const out = path.join(dir, 'still');
    const r = await cli(['detect', clip, '--out', out, '--fps', '2'], env);
    expect(r.code, r.stderr).toBe(0);
    const d = readDetections(out);
    expect(d.frames.length).toBe(6); // 3 s at 2 fps
    for (const f of d.frames) {
      const faces = f.objects.filter((o) => o.kind === 'face');
      expect(faces).toHaveLength(1);
      expect(iou(faces[0].box, JESPER_2_FACE)).toBeGreaterThan(0.5);
      expect(faces[0].mouth).toBeTypeOf('number');
      // A tone, no speech: nobody speaks.
      expect(faces[0].speaking).toBeLessThan(0.1);
    }
  }, 180_000);

  it('refuses bad input with one line that says what to do', async () => {
    const noVideo = await cli(['detect', fx.wav16, '--out', path.join(dir, 'x')], env);
    expect(noVideo.code).not.toBe(0);
    expect(noVideo.stderr.trim().split('\n')).toHaveLength(1);
    expect(noVideo.stderr).toMatch(/^stemsight: .*video/);
    const noOut = await cli(['detect', fx.mp4], env);
    expect(noOut.stderr).toMatch(/--out DIR is required/);
    const badFps = await cli(['detect', fx.mp4, '--out', path.join(dir, 'y'), '--fps', 'fast'], env);
    expect(badFps.code).not.toBe(0);
    expect(badFps.stderr).toMatch(/--fps 'fast' must be a number/);
  }, 180_000);
});
