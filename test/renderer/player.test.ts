import { describe, expect, it } from 'vitest';
import { followClock } from '../../src/renderer/src/lib/player';

function picture(currentTime: number, paused = false) {
  let plays = 0;
  const v = {
    currentTime,
    playbackRate: 1,
    paused,
    dataset: {} as DOMStringMap,
    play: () => {
      plays++;
      return Promise.resolve();
    },
    pause: () => undefined,
  };
  return { v, plays: () => plays };
}

describe('the picture follows the audio clock', () => {
  it('runs at normal rate when within 20 ms', () => {
    const { v } = picture(10.01);
    v.playbackRate = 1.05;
    expect(followClock(v, 10)).toBeCloseTo(0.01, 9);
    expect(v.playbackRate).toBe(1);
    expect(v.currentTime).toBe(10.01);
    expect(v.dataset.drift).toBe('0.010');
  });

  it('slows down when ahead and speeds up when behind, by at most 8 %', () => {
    const ahead = picture(10.1).v;
    followClock(ahead, 10);
    expect(ahead.playbackRate).toBeCloseTo(0.92, 9);
    const behind = picture(9.95).v;
    followClock(behind, 10);
    expect(behind.playbackRate).toBeCloseTo(1.04, 9);
  });

  it('re-seeks when more than 250 ms off, and restarts a stalled picture', () => {
    const { v, plays } = picture(12, true);
    followClock(v, 10);
    expect(v.currentTime).toBe(10);
    expect(plays()).toBe(1);
  });
});
