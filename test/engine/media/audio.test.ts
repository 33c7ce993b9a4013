import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioStream, readAudio, readMono } from '../../../src/main/engine/media/audio';
import { computePeaks } from '../../../src/main/engine/media/peaks';
import { MediaError } from '../../../src/main/engine/media/errors';
import { probeMedia } from '../../../src/main/engine/media/probe';
import { makeMediaFixtures, type MediaFixtures } from '../../fixtures/make-media';

let fx: MediaFixtures;
beforeAll(() => {
  fx = makeMediaFixtures();
});
afterAll(() => fx.cleanup());

/** Dominant frequency by scanning a DFT over a frequency grid (fine for a pure tone). */
function dominantHz(x: Float32Array, rate: number, lo = 100, hi = 1200, step = 5): number {
  let best = 0, bestP = -1;
  for (let f = lo; f <= hi; f += step) {
    let re = 0, im = 0;
    for (let i = 0; i < x.length; i++) {
      re += x[i] * Math.cos((2 * Math.PI * f * i) / rate);
      im += x[i] * Math.sin((2 * Math.PI * f * i) / rate);
    }
    const p = re * re + im * im;
    if (p > bestP) {
      bestP = p;
      best = f;
    }
  }
  return best;
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('audio decode', () => {
  it('keeps the original rate and channels by default', async () => {
    const a = await readAudio(fx.mp4);
    expect(a.sampleRate).toBe(48000);
    expect(a.channels.length).toBe(2);
    expect(a.channels[0].length).toBeGreaterThan(48000 * 1.9);
    const mid = (x: Float32Array) => x.subarray(24000, 24000 + 4800);
    expect(dominantHz(mid(a.channels[0]), 48000)).toBe(440);
    expect(dominantHz(mid(a.channels[1]), 48000)).toBe(660);
  });

  it('gives a resampled mono copy = mean of channels', async () => {
    const mono = await readMono(fx.mp4, { sampleRate: 11025 });
    expect(mono.length).toBeGreaterThan(11025 * 1.9);
    expect(mono.length).toBeLessThan(11025 * 2.1);
    const seg = mono.subarray(5000, 5000 + 2205);
    // Both tones present at half amplitude each.
    const stereo = await readAudio(fx.mp4, { sampleRate: 11025 });
    const i = 6000;
    expect(mono[i]).toBeCloseTo((stereo.channels[0][i] + stereo.channels[1][i]) / 2, 6);
    expect([440, 660]).toContain(dominantHz(seg, 11025));
    expect(rms(seg)).toBeGreaterThan(0.02);
  });

  it('streams fixed-size chunks with consecutive startFrame', async () => {
    let expected = 0;
    let chunks = 0;
    for await (const c of decodeAudioStream(fx.mov, { chunkFrames: 10000 })) {
      expect(c.startFrame).toBe(expected);
      expect(c.channels.length).toBe(1);
      if (c.channels[0].length !== 10000) expect(c.channels[0].length).toBeLessThan(10000);
      expected += c.channels[0].length;
      chunks++;
    }
    expect(chunks).toBeGreaterThan(8);
    expect(expected).toBeGreaterThan(44100 * 1.9);
  });

  it('decodes a time range', async () => {
    const a = await readAudio(fx.mkv, { startSec: 0.5, durationSec: 0.5 });
    expect(a.sampleRate).toBe(22050);
    expect(Math.abs(a.channels[0].length - 11025)).toBeLessThan(300);
  });

  it('decodes webm/opus', async () => {
    const a = await readAudio(fx.webm, { sampleRate: 16000 });
    expect(a.channels.length).toBe(2);
    expect(dominantHz(a.channels[1].subarray(8000, 9600), 16000)).toBe(880);
  });

  it('stops ffmpeg when the consumer stops early', async () => {
    let n = 0;
    for await (const c of decodeAudioStream(fx.mp4, { chunkFrames: 1024 })) {
      n += c.channels[0].length;
      if (n > 4096) break;
    }
    expect(n).toBeGreaterThan(4096);
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    const run = async () => {
      for await (const _ of decodeAudioStream(fx.mp4, { chunkFrames: 512, signal: ac.signal })) ac.abort();
    };
    await expect(run()).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('explains a missing audio track and bad arguments', async () => {
    await expect(readAudio(fx.noAudio)).rejects.toMatchObject({ code: 'media_error', reason: 'NO_AUDIO' });
    await expect(readAudio(fx.mp4, { sampleRate: 12.5 })).rejects.toBeInstanceOf(MediaError);
    await expect(readAudio(fx.truncated)).rejects.toMatchObject({ code: 'media_error', reason: 'TRUNCATED' });
  });
});

describe('computePeaks', () => {
  it('trusts decoded audio, not a header that claims 1e9 seconds', async () => {
    const info = await probeMedia(fx.wav16);
    const p = await computePeaks(fx.wav16, { peaksPerSecond: 100, info: { ...info, durationSec: 1e9 } });
    expect(p.durationSec).toBeCloseTo(1, 2);
    expect(p.length).toBeGreaterThanOrEqual(99);
    expect(p.length).toBeLessThanOrEqual(101);
  });

  it('returns min/max pairs per bucket covering the whole clip', async () => {
    const p = await computePeaks(fx.mp4, { peaksPerSecond: 50 });
    expect(p.length).toBeGreaterThanOrEqual(99);
    expect(p.length).toBeLessThanOrEqual(103);
    expect(p.data.length).toBe(2 * p.length);
    for (let i = 10; i < 90; i++) {
      expect(p.data[2 * i]).toBeLessThan(0);
      expect(p.data[2 * i + 1]).toBeGreaterThan(0);
      expect(p.data[2 * i]).toBeLessThanOrEqual(p.data[2 * i + 1]);
    }
    const mono = await readMono(fx.mp4, { sampleRate: 48000 });
    const max = mono.reduce((m, v) => Math.max(m, v), -1);
    expect(Math.max(...Array.from(p.data))).toBeCloseTo(max, 6);
  });
});
