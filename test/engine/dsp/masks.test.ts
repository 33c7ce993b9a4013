import { describe, expect, it } from 'vitest';
import { applyMask, completeMasks, gridOf, interpolateMask } from '../../../src/main/engine/dsp/masks';
import { istft, stft } from '../../../src/main/engine/dsp/stft';
import { resample } from '../../../src/main/engine/dsp/resample';

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe('masks', () => {
  for (const mode of ['soft', 'binary'] as const) {
    it(`${mode}: sources + residual sum to 1 and the stems sum back to the mixture`, () => {
      const x = noise(20000, 5);
      const spec = stft(x);
      const m1 = noise(spec.re.length, 1).map((v) => v + 0.5);
      const m2 = noise(spec.re.length, 2).map((v) => (v + 0.5) * 0.9);
      const all = completeMasks([m1, m2], mode);
      expect(all.length).toBe(3);
      for (let i = 0; i < spec.re.length; i += 997) expect(all[0][i] + all[1][i] + all[2][i]).toBeCloseTo(1, 6);
      if (mode === 'binary') for (const m of all) for (let i = 0; i < m.length; i += 101) expect([0, 1]).toContain(m[i]);
      const stems = all.map((m) => istft(applyMask(spec, m)));
      let err = 0, energy = 0;
      for (let i = 0; i < x.length; i++) {
        err += (stems[0][i] + stems[1][i] + stems[2][i] - x[i]) ** 2;
        energy += x[i] ** 2;
      }
      expect(10 * Math.log10(err / energy)).toBeLessThan(-60);
    });
  }

  it('interpolates a model-rate mask onto a full-rate STFT grid', () => {
    const model = stft(noise(11025, 3)); // 512 bins, 44 frames at 11025 Hz
    const full = stft(noise(44100, 4), { nFft: 4088, hop: 1024 }); // same Hz/bin and s/frame at 44.1 kHz
    const mask = Float32Array.from({ length: model.re.length }, (_, i) => (Math.floor(i / model.nFrames) % 7) / 7);
    const from = gridOf(model, 11025);
    const out = interpolateMask(mask, from, gridOf(full, 44100));
    expect(out.length).toBe(full.nBins * full.nFrames);
    // Same physical grid below 5512.5 Hz: values copied exactly.
    for (const f of [0, 3, 300, 511]) for (const t of [0, 10, model.nFrames - 1]) expect(out[f * full.nFrames + t]).toBeCloseTo(mask[f * model.nFrames + t], 6);
    // Above the model's band the top bin is held.
    expect(out[1500 * full.nFrames + 5]).toBeCloseTo(mask[511 * model.nFrames + 5], 6);
    // At 48 kHz the grids differ: a mask constant along time and linear in Hz stays linear in Hz.
    const lin = Float32Array.from({ length: model.re.length }, (_, i) => Math.floor(i / model.nFrames) / 511);
    const to48 = { nBins: 2049, nFrames: 30, binHz: 48000 / 4096, hopSec: 1024 / 48000 };
    const o48 = interpolateMask(lin, from, to48);
    expect(o48[100 * 30 + 7]).toBeCloseTo((100 * to48.binHz) / from.binHz / 511, 5);
  });
});

describe('resample', () => {
  const sine = (f: number, rate: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / rate));
  const maxErr = (a: Float32Array, b: Float32Array, from: number, to: number) => {
    let m = 0;
    for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };

  it.each([
    [44100, 11025, 1000],
    [48000, 11025, 3000],
    [11025, 48000, 2500],
    [22050, 16000, 440],
  ])('%i -> %i Hz keeps a %i Hz sine', (inRate, outRate, f) => {
    const y = resample(sine(f, inRate, inRate), inRate, outRate);
    expect(y.length).toBe(outRate);
    expect(maxErr(y, sine(f, outRate, outRate), 200, outRate - 200)).toBeLessThan(2e-3);
  });

  it('removes content above the new Nyquist rate', () => {
    const y = resample(sine(7000, 44100, 44100), 44100, 11025);
    const rms = Math.sqrt(y.subarray(500, 10000).reduce((s, v) => s + v * v, 0) / 9500);
    expect(20 * Math.log10(rms / Math.SQRT1_2)).toBeLessThan(-60);
  });
});
