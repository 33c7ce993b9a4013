import { describe, expect, it } from 'vitest';
import { istft, samplesForFrames, stft, stftFrames } from '../../../src/main/engine/dsp/stft';
import { OverlapAdd } from '../../../src/main/engine/dsp/stream';
import { applyMask } from '../../../src/main/engine/dsp/masks';

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe('windowed STFT processing', () => {
  for (const [nFft, hop, len, block] of [
    [1022, 256, 30000, 37],
    [1024, 256, 9000, 1],
    [4088, 1024, 50000, 9],
    [64, 16, 500, 5],
  ]) {
    it(`blocks of ${block} frames equal the whole-signal result (nFft ${nFft}, hop ${hop}, ${len} samples)`, () => {
      const x = noise(len, nFft);
      const opts = { nFft, hop };
      const whole = stft(x, opts);
      const mask = noise(whole.re.length, 9).map((v) => v + 0.5);
      const expected = istft(applyMask(whole, mask));
      const ola = new OverlapAdd(len, opts);
      const parts: Float32Array[] = [];
      for (let t0 = 0; t0 < whole.nFrames; t0 += block) {
        const count = Math.min(block, whole.nFrames - t0);
        const need = samplesForFrames(t0, count, len, opts);
        // Only the needed part of the signal is handed over.
        const part = stftFrames({ samples: x.subarray(need.start, need.end), offset: need.start, totalLength: len }, t0, count, opts);
        for (let f = 0; f < part.nBins; f += 37) for (let t = 0; t < count; t++) {
          expect(part.re[f * count + t]).toBe(whole.re[f * whole.nFrames + t0 + t]);
        }
        // The same mask, block by block.
        const m = new Float32Array(part.re.length);
        for (let f = 0; f < part.nBins; f++) for (let t = 0; t < count; t++) m[f * count + t] = mask[f * whole.nFrames + t0 + t];
        parts.push(ola.push(applyMask(part, m)));
      }
      parts.push(ola.finish());
      const got = new Float32Array(len);
      let o = 0;
      for (const p of parts) {
        got.set(p, o);
        o += p.length;
      }
      expect(o).toBe(len);
      let maxErr = 0;
      for (let i = 0; i < len; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
      expect(maxErr).toBeLessThan(1e-6);
    });
  }

  it('refuses a window that lacks needed samples', () => {
    const x = noise(5000, 1);
    expect(() => stftFrames({ samples: x.subarray(1000, 2000), offset: 1000, totalLength: 5000 }, 0, 2)).toThrow(/need samples/);
  });
});
