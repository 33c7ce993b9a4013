import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectMedia, detectionsJson } from '../../../src/main/engine/detect/detect';
import { DETECTORS } from '../../../src/main/engine/detect/registry';
import { PersonMotion } from '../../../src/main/engine/detect/segments';
import type { DetectedObject, Detector } from '../../../src/main/engine/detect/types';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';

describe("the movement inside a person's box", () => {
  it('is the mean change of brightness a frame, inside the box only, counted from the last restart', () => {
    // 8x8 frames are four cells of 4x4 pixels; the top-left one is set to `tl`.
    const big = (tl: number) => {
      const rgb = new Uint8Array(8 * 8 * 3);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) rgb.fill(x < 4 && y < 4 ? tl : 100, 3 * (y * 8 + x), 3 * (y * 8 + x) + 3);
      return rgb;
    };
    const m = new PersonMotion(8, 8);
    m.add(big(0));
    expect(m.inside([0, 0, 1, 1])).toBeNull(); // one frame: no change yet
    m.add(big(255));
    m.add(big(0));
    expect(m.inside([0, 0, 0.5, 0.5])).toBeCloseTo(1); // the top-left cell went from black to white and back
    expect(m.inside([0.5, 0.5, 1, 1])).toBe(0); // nothing moved there
    expect(m.inside([0, 0, 1, 0.5])).toBeCloseTo(0.5);
    m.restart();
    m.add(big(0));
    expect(m.inside([0, 0, 1, 1])).toBeNull();
  });
});

describe('detections give each person how much they move', () => {
  let dir: string;
  let clip: string;
  // Two people side by side; the left one's half of the picture has a box swinging in it.
  const people: DetectedObject[] = [
    { kind: 'person', box: [0, 0, 0.5, 1], score: 0.9 },
    { kind: 'person', box: [0.5, 0, 1, 1], score: 0.9 },
  ];
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-motion-'));
    const fixed: Detector = {
      id: 'fixed-people',
      kinds: ['person'],
      async detect(_f, opts = {}) {
        return (opts.full ?? true) ? people.map((p) => ({ ...p, box: [...p.box] as DetectedObject['box'] })) : [];
      },
      async dispose() {},
    };
    DETECTORS['fixed-people'] = async () => ({ detectorId: () => 'fixed-people-1', createDetector: async () => fixed });
    clip = path.join(dir, 'clip.mp4');
    execFileSync(ffmpegPath(), [
      '-nostdin', '-v', 'error', '-y', '-f', 'lavfi',
      '-i', "color=c=gray:s=320x240:r=8:d=4[bg];color=c=white:s=50x60:r=8:d=4[fg];[bg][fg]overlay=x='20+30*sin(t*9)':y=80",
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip,
    ]);
  });
  afterAll(() => {
    delete DETECTORS['fixed-people'];
    rmSync(dir, { recursive: true, force: true });
  });

  it('the one whose part of the picture moves, and the same whatever the cut into segments', async () => {
    const whole = (await detectMedia(clip, { detector: 'fixed-people', workers: 0, segmentFrames: 1e6, cacheRoot: path.join(dir, 'a') })).detections;
    const seen = whole.frames.filter((f) => f.objects.length > 0);
    expect(seen.map((f) => f.time)).toEqual([0, 1, 2, 3]);
    for (const f of seen) {
      const [left, right] = f.objects;
      expect(left.motion).toBeGreaterThan(0.01);
      expect(right.motion).toBeLessThan(0.001);
    }
    const cut = (await detectMedia(clip, { detector: 'fixed-people', workers: 0, segmentFrames: 4, cacheRoot: path.join(dir, 'b') })).detections;
    expect(cut.frames).toEqual(whole.frames);
    // The public detections.json keeps to its documented fields.
    expect(detectionsJson(whole).frames[0].objects[0]).not.toHaveProperty('motion');
  });
});
