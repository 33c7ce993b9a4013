import { describe, expect, it } from 'vitest';
import { gatedLoudness, kWeighting, LoudnessMeter, lufsFromPower } from '../../src/shared/loudness';

/** Stereo (or mono) sine segments: [dBFS of each channel's peak, seconds]. */
function sine(rate: number, segments: [number, number][], channels = 2, hz = 997): Float32Array[] {
  const total = segments.reduce((n, [, sec]) => n + Math.round(sec * rate), 0);
  const out = Array.from({ length: channels }, () => new Float32Array(total));
  let i = 0;
  for (const [db, sec] of segments) {
    const amp = 10 ** (db / 20);
    for (let end = i + Math.round(sec * rate); i < end; i++) {
      const v = amp * Math.sin((2 * Math.PI * hz * i) / rate);
      for (const ch of out) ch[i] = v;
    }
  }
  return out;
}

function measure(rate: number, audio: Float32Array[], block = 4096) {
  const m = new LoudnessMeter(rate, audio.length);
  for (let i = 0; i < audio[0].length; i += block) m.push(audio.map((c) => c.subarray(i, Math.min(audio[0].length, i + block))));
  return m.reading();
}

/** EBU Tech 3341's tolerance for every case: +-0.1 LU. */
const expectLufs = (x: number, target: number) => expect(Math.abs(x - target)).toBeLessThanOrEqual(0.1);

describe('K-weighting', () => {
  it('reproduces the 48 kHz coefficients published in ITU-R BS.1770-4', () => {
    const [shelf, hp] = kWeighting(48000);
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 9));
    close(shelf.b, [1.53512485958697, -2.69169618940638, 1.19839281085285]);
    close(shelf.a, [1, -1.69065929318241, 0.73248077421585]);
    close(hp.b, [1, -2, 1]);
    close(hp.a, [1, -1.99004745483398, 0.99007225036621]);
  });
});

describe('LoudnessMeter (EBU Tech 3341 cases)', () => {
  it('reads a stereo 997 Hz sine at -23 dBFS per channel as -23.0 LUFS (momentary, short-term, integrated)', () => {
    const r = measure(48000, sine(48000, [[-23, 20]]));
    expect(r.integrated).toBeCloseTo(-23, 1);
    expect(r.momentaryMax).toBeCloseTo(-23, 1);
    expect(r.shortTermMax).toBeCloseTo(-23, 1);
    expect(r.samplePeak).toBeCloseTo(10 ** (-23 / 20), 4);
  });

  it('reads -20 dBFS stereo as -20.0 LUFS and a full-scale sine in one channel as -3.01 LUFS (BS.1770 note)', () => {
    expect(measure(48000, sine(48000, [[-20, 10]])).integrated).toBeCloseTo(-20, 1);
    expect(measure(48000, sine(48000, [[0, 10]], 1)).integrated).toBeCloseTo(-3.01, 1);
  });

  it('works at 44.1 kHz without resampling', () => {
    expect(measure(44100, sine(44100, [[-23, 10]])).integrated).toBeCloseTo(-23, 1);
  });

  it('gates: -36/-23/-36 dBFS and -72/-36/-23/-36/-72 dBFS both read -23.0 (cases 3 and 4)', () => {
    expectLufs(measure(48000, sine(48000, [[-36, 10], [-23, 60], [-36, 10]])).integrated, -23);
    expectLufs(measure(48000, sine(48000, [[-72, 10], [-36, 10], [-23, 60], [-36, 10], [-72, 10]])).integrated, -23);
  });

  it('gates relatively: -26/-20/-26 dBFS (20 s, 20.1 s, 20 s) reads -23.0 (case 5)', () => {
    expectLufs(measure(48000, sine(48000, [[-26, 20], [-20, 20.1], [-26, 20]])).integrated, -23);
  });

  it('gives the same reading whatever the block sizes pushed', () => {
    const audio = sine(48000, [[-30, 3], [-12, 2]]);
    const a = measure(48000, audio, 4096);
    const b = measure(48000, audio, 777);
    expect(b.integrated).toBeCloseTo(a.integrated, 9);
    expect(b.momentaryMax).toBeCloseTo(a.momentaryMax, 9);
    expect(b.shortTermMax).toBeCloseTo(a.shortTermMax, 9);
  });

  it('reads silence, and audio shorter than one 400 ms block, as -Infinity', () => {
    expect(measure(48000, [new Float32Array(48000), new Float32Array(48000)]).integrated).toBe(-Infinity);
    expect(measure(48000, sine(48000, [[-10, 0.3]])).integrated).toBe(-Infinity);
    expect(gatedLoudness([])).toBe(-Infinity);
    expect(lufsFromPower(0)).toBe(-Infinity);
  });

  it('refuses a block with the wrong channel count', () => {
    expect(() => new LoudnessMeter(48000, 2).push([new Float32Array(10)])).toThrow(/2 channel/);
  });
});

describe('kWeight', () => {
  it('K-weights blocks so that a full-scale 997 Hz sine reads -3.01 LUFS over its last 400 ms', async () => {
    const { kWeight, lufsFromPower } = await import('../../src/shared/loudness');
    const rate = 48000;
    const x = Float32Array.from({ length: 32768 }, (_, i) => Math.sin((2 * Math.PI * 997 * i) / rate));
    const [y] = kWeight([x], rate);
    const last = y.subarray(y.length - 19200);
    const power = last.reduce((a, v) => a + v * v, 0) / last.length;
    expect(lufsFromPower(power)).toBeCloseTo(-3.01, 1);
    expect(x[100]).toBe(Math.fround(Math.sin((2 * Math.PI * 997 * 100) / rate))); // the input is left as it was
  });
});
