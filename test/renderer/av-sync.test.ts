import { describe, expect, it } from 'vitest';
import { contextTimeHeard, heardMediaTime, OffsetSteer } from '../../src/renderer/src/lib/av-sync';

describe('lip sync', () => {
  it('reads the sound at the speakers from the output timestamp, else from the latencies', () => {
    const clock = { contextTime: 10, performanceTime: 5000, currentTime: 10.08, outputLatency: 0.05, baseLatency: 0.01 };
    expect(contextTimeHeard(clock, 5100, 5200)).toBeCloseTo(10.1, 9);
    const noStamp = { currentTime: 10.08, outputLatency: 0.05, baseLatency: 0.01 };
    expect(contextTimeHeard(noStamp, 5000, 5000)).toBeCloseTo(10.02, 9);
    expect(heardMediaTime({ from: 3, t0: 9 }, clock, 5000, 5000)).toBeCloseTo(4, 9);
  });

  it('brings a picture that lags the sound by 48 ms to within 15 ms and holds it there', () => {
    // A simulated player: the picture's clock runs at the rate the steer sets; the frame on screen
    // is the one the clock passed 48 ms ago (decode and compositor), 25 fps, a 60 Hz screen.
    const fps = 25;
    const displayDelay = 0.048;
    const steer = new OffsetSteer();
    let video = 0; // picture clock (media seconds)
    let rate = 1;
    const offsets: number[] = [];
    let shown = -1;
    for (let t = 0; t < 6; t += 1 / 60) {
      video += rate / 60;
      const frame = Math.floor(Math.max(0, video - displayDelay) * fps) / fps; // on screen now
      if (frame === shown) continue; // the frame callback fires once per new frame
      shown = frame;
      const offset = frame - t; // its media time minus the sound at the speakers as it appears
      const out = steer.frame(offset);
      if ('rate' in out) rate = out.rate;
      else video = t + displayDelay;
      if (t > 2) offsets.push(offset);
    }
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.max(...offsets.map(Math.abs))).toBeLessThan(0.045); // within a frame and a tick
  });

  it('learns how long the picture takes to start, so the next start meets the sound', () => {
    // The picture starts moving 120 ms after play(); the sound heard at time t is media time t.
    const startup = 0.12;
    const steer = new OffsetSteer();
    const firstOffset = (): number => {
      steer.started(); // play() as the sound reaches `playLead` before the picture's frame 5.0
      const asked = 5 - steer.playLead;
      const moving = asked + startup;
      // Frame 5.04 is shown when the picture clock passes it: 40 ms after it starts moving.
      const shownAt = moving + 0.04;
      const offset = 5.04 - shownAt;
      steer.frame(offset);
      return offset;
    };
    expect(firstOffset()).toBeCloseTo(-(startup - 0.04), 9); // 80 ms late with the first guess
    expect(Math.abs(firstOffset())).toBeLessThan(0.001);
    expect(steer.playLead).toBeCloseTo(startup, 9);
  });

  it('aims a seek of a stray picture ahead of the sound by what the last seek took', () => {
    const steer = new OffsetSteer();
    const seekTakes = 0.15;
    const reseek = (): number => {
      const out = steer.frame(0.4);
      if (!('reseek' in out)) throw new Error('expected a seek');
      // Seeked to `lead` past the sound; its frame shows `seekTakes` later, as the sound moved on.
      const offset = out.lead - seekTakes;
      steer.frame(offset);
      return offset;
    };
    expect(reseek()).toBeCloseTo(0.08 - seekTakes, 9);
    expect(Math.abs(reseek())).toBeLessThan(0.001);
  });

  it('publishes the smoothed offset, none before the first frame', () => {
    const steer = new OffsetSteer();
    expect(steer.offset).toBeNull();
    steer.frame(0.02);
    steer.frame(0.01);
    expect(steer.offset).toBeCloseTo(0.0175, 9);
  });
});
