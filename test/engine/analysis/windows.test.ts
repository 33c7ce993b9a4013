import { describe, expect, it } from 'vitest';
import { frameSpans, slideWindows, windowCount } from '../../../src/main/engine/analysis/windows';
import { decodeHalf, encodeHalf, fromHalfBits } from '../../../src/main/engine/analysis/half';
import type { ModelCard } from '../../../src/main/engine/models/card';

const card = { audio: { sampleRate: 11025, hop: 256, frames: 256, windowSamples: 65535 } } as unknown as ModelCard;

async function* chunked(x: Float32Array, sizes: number[]) {
  for (let i = 0, k = 0; i < x.length; k++) {
    const n = Math.min(sizes[k % sizes.length], x.length - i);
    yield x.subarray(i, i + n);
    i += n;
  }
}

describe('model windows', () => {
  it('slide over a stream: every window holds the right samples, the last one zero-padded', async () => {
    const total = 200000;
    const x = Float32Array.from({ length: total }, (_, i) => i);
    const got = [];
    for await (const w of slideWindows(chunked(x, [5000, 33333, 70000]), 65535, 32768)) got.push(w);
    expect(got.length).toBe(windowCount(total, 65535, 32768));
    expect(got.length).toBe(6); // starts 0 .. 131072 reach 196607 < 200000, so one more at 163840
    for (const w of got) {
      expect(w.start).toBe(w.index * 32768);
      for (const j of [0, 1, 40000, 65534]) expect(w.samples[j]).toBe(w.start + j < total ? w.start + j : 0);
    }
    // The last window reaches the end of the audio.
    const last = got[got.length - 1];
    expect(last.start + 65535).toBeGreaterThanOrEqual(total);
  });

  it('a clip shorter than a window gives one zero-padded window', async () => {
    const got = [];
    for await (const w of slideWindows(chunked(new Float32Array(1000).fill(1), [300]), 65535, 32768)) got.push(w);
    expect(got).toHaveLength(1);
    expect(got[0].valid).toBe(1000);
    expect(got[0].samples[999]).toBe(1);
    expect(got[0].samples[1000]).toBe(0);
  });

  it('spans select the STFT frames inside each video frame, rows summing to 1 (samples.py frame_span_weights)', () => {
    const s = frameSpans(card, 0, [0, 1, 5], 8);
    for (let r = 0; r < 3; r++) {
      let sum = 0;
      for (let j = 0; j < 256; j++) sum += s[r * 256 + j];
      expect(sum).toBeCloseTo(1, 6);
    }
    // Frame 1 spans [0.125, 0.25) s: STFT frames with centres j * 256 / 11025 in it are 6..10.
    const on = [];
    for (let j = 0; j < 256; j++) if (s[256 + j] > 0) on.push(j);
    expect(on).toEqual([6, 7, 8, 9, 10]);
    // With a window starting later, the same frame maps to earlier STFT frames, or the nearest one.
    const late = frameSpans(card, 65535, [0], 8);
    expect(late[0]).toBe(1);
  });
});

describe('float16 cache values', () => {
  it('round-trip within half precision', () => {
    const v = Float32Array.from([0, 1, -2.5, 0.1, 65504, 1e-5, 3.14159]);
    const back = decodeHalf(encodeHalf(v));
    v.forEach((x, i) => expect(Math.abs(back[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-3 + 1e-7));
  });

  it('the float32 fast path encodes exactly like the per-value one, and decoding agrees for every code', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const v = Float32Array.from({ length: 20000 }, (_, i) => (rnd() - 0.5) * 2 ** Math.floor(rnd() * 60 - 30) * (i % 97 === 0 ? 1e30 : 1));
    v.set([Infinity, -Infinity, NaN, -0, 2 ** -24, 2 ** -25, 2 ** -25 * 3, 65520, 1 + 2 ** -11, 1 + 3 * 2 ** -11], 0);
    expect(Buffer.compare(encodeHalf(v), encodeHalf(Array.from(v)))).toBe(0);
    const codes = new Uint16Array(65536).map((_, i) => i);
    const decoded = decodeHalf(new Uint8Array(codes.buffer));
    for (let h = 0; h < 65536; h++) expect(Object.is(decoded[h], Math.fround(fromHalfBits(h))) || (Number.isNaN(decoded[h]) && Number.isNaN(fromHalfBits(h)))).toBe(true);
  });
});
