import { describe, expect, it } from 'vitest';
import { FALL_DB_PER_SEC, HOLD_MS, momentaryLufs, PeakBallistics, peakOf } from '../../src/renderer/src/lib/meters.svelte';

describe('meter ballistics', () => {
  it('rises at once, falls at a steady rate, and holds the peak before it falls too', () => {
    const m = new PeakBallistics();
    expect(m.update(0.5, 0)).toMatchObject({ levelDb: expect.closeTo(-6.02, 2), holdDb: expect.closeTo(-6.02, 2), clipped: false });
    const later = m.update(0.01, 500);
    expect(later.levelDb).toBeCloseTo(-6.02 - FALL_DB_PER_SEC * 0.5, 1);
    expect(later.holdDb).toBeCloseTo(-6.02, 2);
    // Past the hold time the hold line drops to the bar.
    const released = m.update(0.01, HOLD_MS + 100);
    expect(released.holdDb).toBeCloseTo(released.levelDb, 6);
    expect(released.holdDb).toBeLessThan(-20);
  });

  it('falls to silence below the floor, and lights the clip light at full scale until it is reset', () => {
    const m = new PeakBallistics();
    m.update(0.1, 0);
    expect(m.update(0, 5000).levelDb).toBe(-Infinity);
    expect(m.update(1, 5100).clipped).toBe(true);
    expect(m.update(0.1, 5200).clipped).toBe(true);
    m.resetClip();
    expect(m.update(0.1, 5300).clipped).toBe(false);
  });
});

describe('meter maths', () => {
  it('takes the peak of all channels', () => {
    expect(peakOf([Float32Array.from([0.1, -0.7]), Float32Array.from([0.3])])).toBeCloseTo(0.7, 6);
  });

  it('reads the momentary loudness of the last 400 ms of K-weighted samples', () => {
    // A constant 0.1 in both channels (already weighted): power 0.02 -> -0.691 + 10 log10(0.02).
    const ch = new Float32Array(1000).fill(0.1);
    ch.fill(1, 0, 500); // older than 400 ms: ignored
    expect(momentaryLufs([ch.slice(), ch.slice()], 400)).toBeCloseTo(-0.691 + 10 * Math.log10(0.02), 6);
    expect(momentaryLufs([new Float32Array(400)], 400)).toBe(-Infinity);
  });
});
