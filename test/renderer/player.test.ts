import { describe, expect, it } from 'vitest';
import { followClock, Transport, type Player } from '../../src/renderer/src/lib/player';

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

describe('starting the picture with the sound', () => {
  it('takes no measure from the frame shown before the picture starts, and starts it as the sound reaches it', () => {
    let heard = NaN; // the audio context is still starting: no sound on its way
    const player = { play: async () => undefined, pause: () => undefined, seek: () => undefined, position: () => 3, heardAt: () => heard };
    let onFrame: VideoFrameRequestCallback | null = null;
    const v = {
      currentTime: 3,
      playbackRate: 1,
      paused: true,
      dataset: {} as DOMStringMap,
      play: () => ((v.paused = false), Promise.resolve()),
      pause: () => void (v.paused = true),
      requestVideoFrameCallback: (cb: VideoFrameRequestCallback) => ((onFrame = cb), 1),
      cancelVideoFrameCallback: () => undefined,
    };
    let tick: FrameRequestCallback | null = null;
    globalThis.requestAnimationFrame = (cb) => ((tick = cb), 1);
    globalThis.cancelAnimationFrame = () => undefined;
    const transport = new Transport(player as unknown as Player, 10, () => v, () => undefined);
    transport.seek(3);
    transport.play();
    tick!(0);
    expect(v.paused).toBe(true);
    // The sound is on its way, 200 ms before the picture; the frame of the seek to 3 s is shown.
    heard = 2.8;
    onFrame!(0, { mediaTime: 3, expectedDisplayTime: 0 } as VideoFrameCallbackMetadata);
    expect(v.currentTime).toBe(3);
    expect(v.playbackRate).toBe(1);
    tick!(0);
    expect(v.paused).toBe(true);
    heard = 2.97; // within the start's lead of the picture's frame
    tick!(0);
    expect(v.paused).toBe(false);
  });
});
