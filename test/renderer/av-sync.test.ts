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
});
