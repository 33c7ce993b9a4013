import { describe, expect, it } from 'vitest';
import { binMap, FullRateSynth, fullRateGrid, interpolateFrame } from '../../../src/main/engine/separation/fullrate';
import { ModelMaskTrack } from '../../../src/main/engine/separation/model-masks';
import type { ModelWindow } from '../../../src/main/engine/analysis/windows';

const model = { sampleRate: 11025, hop: 256, nFft: 1022, bins: 512 };

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** Feed a signal in uneven chunks; masks(frame, out) fills each source's full-rate mask. */
async function synth(x: Float32Array[], rate: number, sources: number, masks: (i: number, out: Float32Array[]) => void) {
  const grid = fullRateGrid(rate, model);
  const s = new FullRateSynth(grid, x.length, sources);
  const out: Float32Array[][] = Array.from({ length: sources + 1 }, () => x.map((c) => new Float32Array(c.length)));
  let pos = 0;
  const sink = {
    write: async (o: Float32Array[][]) => {
      o.forEach((chs, k) => chs.forEach((c, ch) => out[k][ch].set(c, pos)));
      pos += o[0][0].length;
    },
  };
  const sizes = [1000, 7919, 30000, 4096, 65536];
  for (let i = 0, k = 0; i < x[0].length; k++) {
    const n = Math.min(sizes[k % sizes.length], x[0].length - i);
    s.push(x.map((c) => c.subarray(i, i + n)));
    i += n;
    while (s.canCompute(s.next)) {
      const f = s.next;
      s.computeFrame((m) => masks(f, m));
    }
    await s.drain(sink);
  }
  s.end();
  while (s.canCompute(s.next)) {
    const f = s.next;
    s.computeFrame((m) => masks(f, m));
  }
  await s.drain(sink, true);
  return { out, grid, length: pos };
}

const db = (err: number, ref: number) => 10 * Math.log10(err / ref);

describe('full-rate stems', () => {
  it('an all-ones mask gives the input back exactly (streamed STFT/iSTFT, both ends included)', async () => {
    const x = [noise(44100 * 2 + 123, 1), noise(44100 * 2 + 123, 2)];
    const { out, length } = await synth(x, 44100, 1, (_i, m) => m[0].fill(1));
    expect(length).toBe(x[0].length);
    for (let c = 0; c < 2; c++) {
      let e = 0, r = 0;
      for (let i = 0; i < length; i++) {
        e += (out[0][c][i] - x[c][i]) ** 2;
        r += x[c][i] ** 2;
      }
      expect(db(e, r)).toBeLessThan(-100);
    }
  });

  it('channels in pairs and one alone (paired with silence) give the same stems for the same masks', async () => {
    const rate = 48000;
    const x = [noise(rate + 777, 11), noise(rate + 777, 12), noise(rate + 777, 13)];
    const r1 = noise(50000, 14);
    const mask = (i: number, m: Float32Array[]) => {
      for (let k = 0; k < m[0].length; k++) m[0][k] = r1[(i * 29 + k) % r1.length] + 0.5;
    };
    const all = await synth(x, rate, 1, mask);
    for (let c = 0; c < 3; c++) {
      const one = await synth([x[c]], rate, 1, mask);
      let e = 0, r = 0;
      for (let i = 0; i < one.length; i++) {
        e += (all.out[0][c][i] - one.out[0][0][i]) ** 2;
        r += one.out[0][0][i] ** 2;
      }
      expect(db(e, r)).toBeLessThan(-100);
    }
  });

  it('a low-pass mask keeps a low tone and removes a high one', async () => {
    const rate = 44100;
    const n = rate;
    const lo = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / rate));
    const hi = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 9000 * i) / rate));
    const mix = lo.map((v, i) => v + hi[i]);
    const cut = Math.round((3000 / rate) * fullRateGrid(rate, model).nFft);
    const { out, length } = await synth([mix, mix.map((v) => -v)], rate, 1, (_i, m) => m[0].forEach((_v, k) => (m[0][k] = k < cut ? 1 : 0)));
    for (const [c, sign] of [[0, 1], [1, -1]] as const) {
      let e = 0, r = 0;
      for (let i = 2048; i < length - 2048; i++) {
        e += (out[0][c][i] - sign * lo[i]) ** 2;
        r += lo[i] ** 2;
      }
      expect(db(e, r)).toBeLessThan(-60);
    }
  });

  for (const rate of [44100, 48000]) {
    it(`mixture consistency at ${rate} Hz: sources + residual = mixture within -60 dB`, async () => {
      const x = [noise(rate * 2, 3), noise(rate * 2, 4)];
      const r1 = noise(100000, 5), r2 = noise(100000, 6);
      const { out, length } = await synth(x, rate, 2, (i, m) => {
        for (let k = 0; k < m[0].length; k++) {
          const a = r1[(i * 31 + k) % r1.length] + 0.5, b = (r2[(i * 17 + k) % r2.length] + 0.5) * (1 - a);
          m[0][k] = a;
          m[1][k] = b;
        }
      });
      expect(length).toBe(x[0].length);
      for (let c = 0; c < 2; c++) {
        let e = 0, r = 0, s1 = 0;
        for (let i = 0; i < length; i++) {
          e += (out[0][c][i] + out[1][c][i] + out[2][c][i] - x[c][i]) ** 2;
          r += x[c][i] ** 2;
          s1 += out[0][c][i] ** 2;
        }
        expect(db(e, r)).toBeLessThan(-60);
        expect(s1 / r).toBeGreaterThan(0.05); // the sources did take a share
      }
    });
  }

  it('maps masks onto the full-rate bins, holding the top octave mean above 5512 Hz', () => {
    const grid = fullRateGrid(44100, model);
    expect(grid).toMatchObject({ hop: 1024, win: 4096, nFft: 4096 });
    const map = binMap(grid, model);
    const m = Float32Array.from({ length: 512 }, (_, b) => (b < 256 ? 0 : b / 511));
    const out = [new Float32Array(grid.bins)];
    interpolateFrame(m, m, 0, 1, 512, map, out, new Float32Array(512));
    // 1000 Hz: bin 1000 / 10.77 in the model, bin 1000 / 10.77 * ... full rate bin 92.9 -> model 92.6
    expect(out[0][100]).toBe(0);
    const k = Math.round((3500 / 44100) * 4096);
    expect(out[0][k]).toBeCloseTo(m[Math.round(3500 / (11025 / 1022))], 2);
    let mean = 0;
    for (let b = 256; b < 512; b++) mean += m[b] / 256;
    expect(out[0][grid.bins - 1]).toBeCloseTo(mean, 5);
  });
});

describe('windowing seams', () => {
  /** Windows whose masks are constant per window but very different: 0, 1, 0, 1, ... */
  async function track(hop: number) {
    const F = 256, B = 4;
    const windows: ModelWindow[] = Array.from({ length: 8 }, (_, w) => ({ index: w, start: w * hop, samples: new Float32Array(0), valid: 65535 }));
    async function* gen() {
      yield* windows;
    }
    const t = new ModelMaskTrack(gen(), async (w) => new Float32Array(F * B).fill(w.index % 2), 1, B, F, 256, hop, 'soft');
    const values: number[] = [];
    const last = 7 * (hop / 256) + F;
    await t.ensure(last);
    for (let g = 0; g < last; g++) values.push(t.frame(g)[0]);
    return values;
  }

  for (const hop of [32768, 49152]) {
    it(`masks cross-fade between windows (hop ${hop}): no frame-to-frame jump anywhere near a window's step`, async () => {
      const v = await track(hop);
      const overlap = 256 - hop / 256;
      let maxJump = 0;
      for (let g = 1; g < v.length; g++) maxJump = Math.max(maxJump, Math.abs(v[g] - v[g - 1]));
      // A raised-cosine ramp over `overlap` frames steps by at most pi / (2 * overlap).
      expect(maxJump).toBeLessThanOrEqual(Math.PI / (2 * overlap) + 1e-6);
      // and it does reach both values (the windows really differ)
      expect(Math.min(...v)).toBeLessThan(0.01);
      expect(Math.max(...v)).toBeGreaterThan(0.99);
    });
  }
});
