import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectMedia } from '../../../src/main/engine/detect/detect';
import { DETECTORS } from '../../../src/main/engine/detect/registry';
import type { Detector } from '../../../src/main/engine/detect/types';
import { frameWork } from '../../../src/main/engine/detect/segments';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';

describe('what each frame looks for', () => {
  it('looks for people on every full frame and for hands on every handEvery-th of them', () => {
    const req = { fullEvery: 4, handEvery: 8 };
    const work = Array.from({ length: 17 }, (_, i) => frameWork(i, req));
    expect(work.flatMap((w, i) => (w.full ? [i] : []))).toEqual([0, 4, 8, 12, 16]);
    expect(work.flatMap((w, i) => (w.hands ? [i] : []))).toEqual([0, 8, 16]);
    // Without handEvery, hands come with every full frame.
    expect(Array.from({ length: 9 }, (_, i) => frameWork(i, { fullEvery: 4 }).hands)).toEqual([true, false, false, false, true, false, false, false, true]);
  });
});

describe('the detection asks the detector for hands every 2 s (people every second)', () => {
  let dir: string;
  const asked: { time: number; full: boolean; hands: boolean }[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-hands-'));
    let frame = 0;
    const recording: Detector = {
      id: 'recording',
      kinds: ['face', 'person', 'hand'],
      async detect(_f, opts = {}) {
        asked.push({ time: frame++ / 4, full: opts.full ?? true, hands: opts.hands ?? opts.full ?? true });
        return [];
      },
      async dispose() {},
    };
    DETECTORS.recording = async () => ({ detectorId: () => 'recording-1', createDetector: async () => recording });
  });
  afterAll(() => {
    delete DETECTORS.recording;
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a 5 s clip at 4 frames a second', async () => {
    const clip = path.join(dir, 'clip.mp4');
    execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
    await detectMedia(clip, { detector: 'recording', workers: 0, cacheRoot: dir });
    expect(asked).toHaveLength(20);
    expect(asked.filter((a) => a.full).map((a) => a.time)).toEqual([0, 1, 2, 3, 4]);
    expect(asked.filter((a) => a.hands).map((a) => a.time)).toEqual([0, 2, 4]);
  });
});
