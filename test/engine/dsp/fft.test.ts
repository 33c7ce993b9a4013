import { describe, expect, it } from 'vitest';
import { ComplexFFT, RealFFT } from '../../../src/main/engine/dsp/fft';

function naiveDft(x: Float64Array, n: number, sign = -1): Float64Array {
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      sr += x[2 * j] * Math.cos(a) - x[2 * j + 1] * Math.sin(a);
      si += x[2 * j] * Math.sin(a) + x[2 * j + 1] * Math.cos(a);
    }
    out[2 * k] = sr;
    out[2 * k + 1] = si;
  }
  return out;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>, len = a.length) => {
  let m = 0;
  for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('ComplexFFT', () => {
  for (const n of [1, 2, 7, 16, 30, 64, 511, 1022]) {
    it(`matches a direct DFT for n=${n} and inverts`, () => {
      const r = rng(n);
      const x = new Float64Array(2 * n).map(() => r());
      const plan = new ComplexFFT(n);
      const X = new Float64Array(2 * n);
      plan.forward(x, X);
      expect(maxAbsDiff(X, naiveDft(x, n))).toBeLessThan(1e-9 * n);
      const back = new Float64Array(2 * n);
      plan.inverse(X, back);
      expect(maxAbsDiff(back, x)).toBeLessThan(1e-12 * n + 1e-13);
    });
  }
});

describe('RealFFT', () => {
  for (const n of [8, 15, 1022, 1024]) {
    it(`packs two real frames into one complex FFT (n=${n})`, () => {
      const r = rng(99 + n);
      const a = new Float64Array(n).map(() => r());
      const b = new Float64Array(n).map(() => r());
      const plan = new RealFFT(n);
      const A = new Float64Array(2 * plan.bins);
      const B = new Float64Array(2 * plan.bins);
      plan.forward2(a, b, A, B);
      const toComplex = (x: Float64Array) => {
        const z = new Float64Array(2 * n);
        x.forEach((v, i) => (z[2 * i] = v));
        return z;
      };
      expect(maxAbsDiff(A, naiveDft(toComplex(a), n), 2 * plan.bins)).toBeLessThan(1e-9 * n);
      expect(maxAbsDiff(B, naiveDft(toComplex(b), n), 2 * plan.bins)).toBeLessThan(1e-9 * n);
      const a2 = new Float64Array(n);
      const b2 = new Float64Array(n);
      plan.inverse2(A, B, a2, b2);
      expect(maxAbsDiff(a2, a)).toBeLessThan(1e-12 * n);
      expect(maxAbsDiff(b2, b)).toBeLessThan(1e-12 * n);
    });
  }
});
