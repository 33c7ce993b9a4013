import { describe, expect, it } from 'vitest';
import { denoise48k, dialogueGains, enhanceSpeaker, limitSlope, MAX_GAIN_STEP } from '../../../src/main/engine/separation/dialogue';
import { stft } from '../../../src/main/engine/dsp/stft';

/** A deterministic pseudo-random generator (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** A voice-like signal: a buzz at 140 Hz with formant-ish harmonics, on for `on`, off for `off` seconds. */
function voice(rate: number, seconds: number, on = 0.4, off = 0.3): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) {
    const t = i / rate;
    const gate = t % (on + off) < on ? 1 : 0;
    let v = 0;
    for (let h = 1; h <= 20; h++) v += Math.sin(2 * Math.PI * 140 * h * t + h) * (h < 6 ? 1 : 0.3) / h;
    x[i] = 0.25 * gate * v;
  }
  return x;
}

function noise(n: number, level: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => level * r());
}

const rms = (x: Float32Array, a = 0, b = x.length) => {
  let s = 0;
  for (let i = a; i < b; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, b - a));
};

describe('dialogue: the speech enhancer on a speaker stem', () => {
  it('RNNoise runs in plain Node from the package and removes steady noise', async () => {
    const n = 48000 * 2;
    const out = await denoise48k(noise(n, 0.05, 1));
    expect(out).toHaveLength(n);
    // After its first half second of adapting, white noise alone (rms 0.05 / sqrt 3) is brought down.
    expect(20 * Math.log10(rms(out, 24000) / (0.05 / Math.sqrt(3)))).toBeLessThan(-3);
  });

  it('moves what it removes into the residual: speaker + residual is unchanged, sample by sample', async () => {
    const rate = 44100;
    const v = voice(rate, 2);
    const hiss = noise(v.length, 0.05, 2);
    const left = v.map((x, i) => x + hiss[i]);
    const right = v.map((x, i) => 0.8 * x + hiss[i]);
    const speaker = [Float32Array.from(left), Float32Array.from(right)];
    const residual = [noise(v.length, 0.2, 3), noise(v.length, 0.2, 4)];
    const before = speaker.map((s, c) => s.map((x, i) => x + residual[c][i]));
    await enhanceSpeaker(speaker, residual, rate, 1);
    for (let c = 0; c < 2; c++) {
      let worst = 0;
      for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(speaker[c][i] + residual[c][i] - before[c][i]));
      expect(worst).toBeLessThan(1e-6);
    }
    // Something was removed: the pauses (noise only) are much quieter in the speaker's stem.
    const pause = [Math.round(0.5 * rate), Math.round(0.65 * rate)] as const;
    expect(rms(speaker[0], ...pause)).toBeLessThan(0.5 * rms(left, ...pause));
  });

  it('amount 0 changes nothing; a larger amount removes more', async () => {
    const rate = 48000;
    const v = voice(rate, 1.5);
    const hiss = noise(v.length, 0.05, 5);
    const mixed = v.map((x, i) => x + hiss[i]);
    const run = async (k: number) => {
      const s = [Float32Array.from(mixed)];
      const r = [new Float32Array(v.length)];
      await enhanceSpeaker(s, r, rate, k);
      return { s: s[0], r: r[0] };
    };
    const none = await run(0);
    expect(none.s).toEqual(mixed);
    expect(rms(none.r)).toBe(0);
    const half = await run(0.5), full = await run(1);
    expect(rms(full.r)).toBeGreaterThan(1.3 * rms(half.r));
  });

  it('has no gating clicks: every gain moves by at most MAX_GAIN_STEP a hop', () => {
    const rate = 48000;
    const stem = voice(rate, 1, 0.1, 0.1);
    // An "enhanced" signal that switches hard between all and nothing every 50 ms.
    const hard = stem.map((x, i) => (Math.floor(i / 2400) % 2 ? x : 0));
    const opts = { nFft: 1024, hop: 256 };
    const a = stft(stem, opts), b = stft(hard, opts);
    const g = dialogueGains(a, b, 1);
    let steepest = 0;
    for (let f = 0; f < a.nBins; f++) {
      for (let t = 1; t < a.nFrames; t++) steepest = Math.max(steepest, Math.abs(g[f * a.nFrames + t] - g[f * a.nFrames + t - 1]));
    }
    expect(steepest).toBeLessThanOrEqual(MAX_GAIN_STEP + 1e-6);
    // And the hard switching did lower the gains (the limit did not simply keep them at 1).
    expect(Math.min(...g)).toBeLessThan(0.2);
  });

  it('limits falls and rises of a gain track to the step, never lowering a gain', () => {
    const g = Float32Array.from([1, 0, 0, 0, 1, 1, 0.9]);
    const orig = Float32Array.from(g);
    limitSlope(g, 0.25);
    [1, 0.75, 0.5, 0.75, 1, 1, 0.9].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 6));
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeGreaterThanOrEqual(orig[i]);
  });
});
