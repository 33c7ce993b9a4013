import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activityShares, shareByActivity } from '../../../src/main/engine/separation/activity-share';
import { sameQueryGroups, sourcesActivity } from '../../../src/main/engine/separation/source-activity';
import { readWav, writeWav } from '../../../src/main/engine/media/wav';
import { bssEvalSources } from '../../../src/main/engine/metrics/bss_eval';
import type { DetectionFrame } from '../../../src/main/engine/detect/speaking';

const RATE = 8000;

/** A tone that sounds only inside `spans` (seconds), with 20 ms fades. */
function toneIn(freq: number, spans: [number, number][], seconds: number): Float32Array {
  const x = new Float32Array(seconds * RATE);
  for (let i = 0; i < x.length; i++) {
    const t = i / RATE;
    const env = Math.max(0, ...spans.map(([a, b]) => Math.min(1, (t - a) / 0.02, (b - t) / 0.02)));
    x[i] = 0.3 * env * Math.sin(2 * Math.PI * freq * t) * (1 + 0.3 * Math.sin(2 * Math.PI * 3 * t));
  }
  return x;
}

describe('sharing a sound between sources asked for alike, by who is active when', () => {
  it('gives shares that add up to 1 at every sample, follow the activity smoothly and stay even when nobody moves', () => {
    const fps = 4;
    const a = [1, 1, 0, 0, 0, 0];
    const b = [0, 0, 1, 1, 0, 0];
    const [sa, sb] = activityShares([a, b], fps, 100, 150);
    for (let s = 0; s < 150; s++) expect(sa[s] + sb[s]).toBeCloseTo(1, 6);
    expect(sa[20]).toBeCloseTo(1.05 / 1.1, 6); // in the middle of a's turn: all but the floor
    expect(sb[20]).toBeCloseTo(0.05 / 1.1, 6);
    expect(sa[140]).toBeCloseTo(0.5, 6); // nobody active: even
    // From one turn to the next over the 25 samples between activity values, not in a jump (0.9).
    let step = 0;
    for (let s = 1; s < 150; s++) step = Math.max(step, Math.abs(sa[s] - sa[s - 1]));
    expect(step).toBeLessThan(0.15);
  });

  it('tells two sources taking turns apart, and the group still adds up to what was separated', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-share-'));
    try {
      const seconds = 8;
      // Two voices (tones here) in turns, one overlap at 3.6-4 s; the separation gave each half of both.
      const one = toneIn(220, [[0.2, 2], [4.5, 6]], seconds);
      const two = toneIn(330, [[2.3, 4], [3.6, 4.2], [6.3, 7.8]], seconds);
      const half = one.map((v, i) => 0.5 * (v + two[i]));
      await writeWav(path.join(dir, 'source-1.wav'), { sampleRate: RATE, channels: [half] }, 'f32');
      await writeWav(path.join(dir, 'source-2.wav'), { sampleRate: RATE, channels: [half.slice()] }, 'f32');
      // Their activity: 1 while each one sounds, at 8 values a second.
      const fps = 8;
      const act = (x: Float32Array) =>
        Array.from({ length: seconds * fps }, (_, i) => {
          let e = 0;
          for (let s = (i * RATE) / fps; s < ((i + 1) * RATE) / fps; s++) e = Math.max(e, Math.abs(x[s]));
          return e > 0.05 ? 1 : 0;
        });
      await shareByActivity(dir, [[{ index: 1, activity: act(one) }, { index: 2, activity: act(two) }]], fps, 'f32');
      const [s1, s2] = await Promise.all([1, 2].map(async (k) => (await readWav(path.join(dir, `source-${k}.wav`))).channels[0]));
      for (let i = 0; i < half.length; i += 97) expect(s1[i] + s2[i]).toBeCloseTo(2 * half[i], 5);
      const before = bssEvalSources([one, two], [half, half], { computePermutation: false }).sdr;
      const after = bssEvalSources([one, two], [s1, s2], { computePermutation: false }).sdr;
      // Halves score about 0 dB; shared by turns, each gets most of its own sound.
      expect(Math.max(...before)).toBeLessThan(1);
      expect(Math.min(...after)).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('which sources are shared, and by what', () => {
  const face = (track: number, box: [number, number, number, number], speaking: number) => ({ kind: 'face' as const, track, box, score: 1, speaking });
  const frames: DetectionFrame[] = [
    { time: 0, objects: [face(1, [0.1, 0.1, 0.2, 0.2], 0.9), face(2, [0.6, 0.1, 0.7, 0.2], 0)] },
    { time: 1, objects: [face(1, [0.1, 0.1, 0.2, 0.2], 0), face(2, [0.6, 0.1, 0.7, 0.2], 0.8)] },
  ];

  it('groups sources asked for by the same class on real footage only', () => {
    const real = (className: string) => ({ x: 0.5, y: 0.5, timeSec: 0, className, usePicture: false });
    expect(sameQueryGroups([real('speaker'), real('guitar'), real('speaker'), real('guitar'), { className: 'guitar' }, { x: 0.1, y: 0.1, timeSec: 0, className: 'guitar' }])).toEqual([[0, 2], [1, 3]]);
    expect(sameQueryGroups([real('speaker'), real('guitar')])).toEqual([]);
  });

  it("follows a speaker's face speaking; a click on no face, or by name alone, has none", async () => {
    const q = (x: number, y: number, className: string) => ({ x, y, timeSec: 0, className, usePicture: false });
    const queries = [q(0.15, 0.15, 'speaker'), q(0.65, 0.15, 'speaker'), q(0.4, 0.9, 'speaker'), { className: 'speaker' }];
    const points = queries.map((x) => ('x' in x ? { x: x.x, y: x.y, timeSec: 0 } : null));
    const media = { file: 'unused.mp4', info: { path: 'unused.mp4', sizeBytes: 0, durationSec: 2, container: 'mp4' } };
    const act = (await sourcesActivity(media, frames, queries, points, { startSec: 0, durationSec: 2 }))!;
    const at = [0, 1];
    expect(act.of[0]!(at)).toEqual([0.9, 0]);
    expect(act.of[1]!(at)).toEqual([0, 0.8]);
    expect(act.of[2]).toBeNull();
    expect(act.of[3]).toBeNull();
    // No click on real footage, nothing to follow.
    expect(await sourcesActivity(media, frames, [{ className: 'guitar' }], [null], { startSec: 0, durationSec: 2 })).toBeNull();
  });
});
