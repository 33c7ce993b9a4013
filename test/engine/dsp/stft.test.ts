import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hannWindow, istft, magnitude, stft, frameCount } from '../../../src/main/engine/dsp/stft';

function noise(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('hannWindow', () => {
  it('is periodic by default (torch.hann_window)', () => {
    const w = hannWindow(4);
    expect(Array.from(w)).toEqual([0, 0.5, 1, 0.5].map((v, i) => (i === 0 ? 0 : expect.closeTo(v, 12))));
    expect(hannWindow(5, false)[4]).toBeCloseTo(0, 12);
  });
});

describe('stft', () => {
  it('has 512 bins and 1 + len/hop frames with the defaults', () => {
    const s = stft(noise(11025));
    expect(s.nBins).toBe(512);
    expect(s.nFrames).toBe(1 + Math.floor(11025 / 256));
    expect(frameCount(11025, 1022, 256, true)).toBe(s.nFrames);
  });

  it('matches a direct windowed DFT with reflect padding, frequency-major layout', () => {
    const x = noise(200, 3);
    const nFft = 30, hop = 7;
    const s = stft(x, { nFft, hop });
    const pad = nFft / 2;
    const w = hannWindow(nFft);
    const reflect = (i: number) => (i < 0 ? -i : i >= x.length ? 2 * (x.length - 1) - i : i);
    for (const t of [0, 1, 13, s.nFrames - 1]) {
      for (const f of [0, 1, 7, nFft / 2]) {
        let re = 0, im = 0;
        for (let n = 0; n < nFft; n++) {
          const v = w[n] * x[reflect(t * hop + n - pad)];
          re += v * Math.cos((2 * Math.PI * f * n) / nFft);
          im -= v * Math.sin((2 * Math.PI * f * n) / nFft);
        }
        expect(s.re[f * s.nFrames + t]).toBeCloseTo(re, 4);
        expect(s.im[f * s.nFrames + t]).toBeCloseTo(im, 4);
      }
    }
  });

  for (const [nFft, hop, len] of [
    [1022, 256, 11025 * 3 + 17],
    [1024, 256, 5000],
    [2048, 512, 44100],
    [1022, 128, 1500],
    [31, 8, 400],
  ]) {
    it(`reconstructs perfectly (nFft=${nFft} hop=${hop} len=${len})`, () => {
      const x = noise(len, nFft + hop);
      const y = istft(stft(x, { nFft, hop }));
      expect(y.length).toBe(len);
      expect(relError(y, x)).toBeLessThan(1e-5);
    });
  }

  it('istft honours an explicit length and zero-fills beyond the frames', () => {
    const x = noise(3000);
    const y = istft(stft(x), { length: 2000 });
    expect(y.length).toBe(2000);
    expect(relError(y, x.subarray(0, 2000))).toBeLessThan(1e-5);
  });

  it('puts a sine in the right bin', () => {
    const sr = 11025, f0 = 1000;
    const x = new Float32Array(sr).map((_, i) => Math.sin((2 * Math.PI * f0 * i) / sr));
    const s = stft(x);
    const mag = magnitude(s);
    const t = 20;
    let best = 0;
    for (let f = 1; f < s.nBins; f++) if (mag[f * s.nFrames + t] > mag[best * s.nFrames + t]) best = f;
    expect(best).toBe(Math.round((f0 * 1022) / sr));
  });

  const numpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  it.skipIf(numpy.status !== 0)('agrees with the numpy formula written in docs/dsp.md', () => {
    const x = noise(3000, 11);
    const py = `
import sys, json, numpy as np
x = np.array(json.loads(sys.stdin.read()), dtype=np.float64)
n_fft, hop = 1022, 256
w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
p = np.pad(x, n_fft // 2, mode='reflect')
T = 1 + (len(p) - n_fft) // hop
frames = np.stack([p[t * hop:t * hop + n_fft] * w for t in range(T)], axis=1)
X = np.fft.rfft(frames, axis=0)
print(json.dumps([X.shape[0], X.shape[1], X.real.ravel().tolist(), X.imag.ravel().tolist()]))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(Array.from(x)), encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const [bins, frames, re, im] = JSON.parse(r.stdout) as [number, number, number[], number[]];
    const s = stft(x);
    expect([s.nBins, s.nFrames]).toEqual([bins, frames]);
    expect(relError(s.re, re)).toBeLessThan(1e-5);
    expect(relError(s.im, im)).toBeLessThan(1e-5);
  });
});
