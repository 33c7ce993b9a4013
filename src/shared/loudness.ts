/**
 * Loudness per ITU-R BS.1770-4 / EBU R 128: K-weighting, momentary (400 ms), short-term (3 s)
 * and gated integrated loudness in LUFS. Pure code with no I/O: the engine measures the mix with
 * it and the renderer's meters use the same filter and formula, so both read the same numbers.
 */

/** One biquad section: y = (b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2), a0 normalised to 1. */
export interface Biquad {
  b: [number, number, number];
  a: [number, number, number];
}

/**
 * The two K-weighting stages (high shelf, then high pass) at any sample rate. The analogue
 * prototype's parameters are those that reproduce BS.1770's published 48 kHz coefficients
 * (the same derivation libebur128 uses), so other rates need no resampling.
 */
export function kWeighting(sampleRate: number): [Biquad, Biquad] {
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf: Biquad = {
    b: [(vh + (vb * k) / q + k * k) / a0, (2 * (k * k - vh)) / a0, (vh - (vb * k) / q + k * k) / a0],
    a: [1, (2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0],
  };
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass: Biquad = { b: [1, -2, 1], a: [1, (2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0] };
  return [shelf, highPass];
}

/**
 * The K-filter (both biquads, transposed direct form II) over x[from, to), carrying its state in
 * z = [s1, s2, h1, h2]; writes the output into out when given; returns the output's sum of squares.
 */
function kFilterRun(s: Biquad, h: Biquad, z: Float64Array, x: Float32Array, from: number, to: number, out?: Float32Array): number {
  let [s1, s2, h1, h2] = z;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = x[i];
    const y1 = s.b[0] * v + s1;
    s1 = s.b[1] * v - s.a[1] * y1 + s2;
    s2 = s.b[2] * v - s.a[2] * y1;
    const y2 = h.b[0] * y1 + h1;
    h1 = h.b[1] * y1 - h.a[1] * y2 + h2;
    h2 = h.b[2] * y1 - h.a[2] * y2;
    if (out) out[i] = y2;
    sum += y2 * y2;
  }
  z[0] = s1;
  z[1] = s2;
  z[2] = h1;
  z[3] = h2;
  return sum;
}

/** Each channel through the K-weighting (both biquads, from rest), as new arrays. */
export function kWeight(channels: readonly Float32Array[], sampleRate: number): Float32Array[] {
  const [s, h] = kWeighting(sampleRate);
  return channels.map((x) => {
    const y = new Float32Array(x.length);
    kFilterRun(s, h, new Float64Array(4), x, 0, x.length, y);
    return y;
  });
}

/** Loudness of a channel-weighted sum of mean squares (BS.1770 eq. 2); -Infinity for silence. */
export function lufsFromPower(power: number): number {
  return power > 0 ? -0.691 + 10 * Math.log10(power) : -Infinity;
}

// Every channel weighs 1: BS.1770's weight for left, right and centre (this meter takes mono or stereo).
const BLOCK_SEC = 0.4;
const SHORT_TERM_SEC = 3;
const STEP_SEC = 0.1;
const ABSOLUTE_GATE = -70;
const RELATIVE_GATE = -10;

export interface LoudnessReading {
  /** Gated integrated loudness (LUFS); -Infinity when no block passes the gates. */
  integrated: number;
  /** Highest momentary (400 ms) loudness, LUFS. */
  momentaryMax: number;
  /** Highest short-term (3 s) loudness, LUFS. */
  shortTermMax: number;
  /** Highest absolute sample value (not true peak), linear. */
  samplePeak: number;
}

/**
 * Streaming meter: push blocks of any length; memory is one number per 100 ms of audio (a few
 * hundred KB for a day), so it measures files of any length.
 */
export class LoudnessMeter {
  private readonly filters: { s: Biquad; h: Biquad; z: Float64Array }[];
  /** Channel-summed mean square of each finished 100 ms step. */
  private readonly steps: number[] = [];
  private stepSum = 0;
  private stepFilled = 0;
  private stepIndex = 0;
  private peak = 0;

  constructor(
    readonly sampleRate: number,
    readonly channels: number,
  ) {
    if (!(sampleRate > 0) || !Number.isInteger(channels) || channels < 1) throw new Error('LoudnessMeter needs a positive sample rate and at least one channel');
    const [s, h] = kWeighting(sampleRate);
    this.filters = Array.from({ length: channels }, () => ({ s, h, z: new Float64Array(4) }));
  }

  /** Frames of the step being filled: steps end at round(k * rate / 10), so they never drift. */
  private stepLength(): number {
    const i = this.stepIndex;
    return Math.round(((i + 1) * this.sampleRate) * STEP_SEC) - Math.round(i * this.sampleRate * STEP_SEC);
  }

  push(block: Float32Array[]): void {
    if (block.length !== this.channels) throw new Error(`LoudnessMeter expects ${this.channels} channel(s), got ${block.length}`);
    const n = block[0].length;
    let at = 0;
    while (at < n) {
      const take = Math.min(n - at, this.stepLength() - this.stepFilled);
      for (let c = 0; c < this.channels; c++) this.stepSum += this.filterSum(c, block[c], at, at + take);
      this.stepFilled += take;
      at += take;
      if (this.stepFilled === this.stepLength()) {
        this.steps.push(this.stepSum / this.stepFilled);
        this.stepSum = 0;
        this.stepFilled = 0;
        this.stepIndex++;
      }
    }
  }

  /** Runs channel c's K-filter over x[from, to) and returns the sum of squares of its output. */
  private filterSum(c: number, x: Float32Array, from: number, to: number): number {
    const { s, h, z } = this.filters[c];
    let peak = this.peak;
    for (let i = from; i < to; i++) peak = Math.max(peak, Math.abs(x[i]));
    this.peak = peak;
    return kFilterRun(s, h, z, x, from, to);
  }

  /** Mean power of each window of `len` steps, moving one step (100 ms) at a time. */
  private windows(len: number): number[] {
    const out: number[] = [];
    let sum = 0;
    for (let i = 0; i < this.steps.length; i++) {
      sum += this.steps[i];
      if (i >= len) sum -= this.steps[i - len];
      if (i >= len - 1) out.push(Math.max(0, sum) / len);
    }
    return out;
  }

  reading(): LoudnessReading {
    const blocks = this.windows(Math.round(BLOCK_SEC / STEP_SEC));
    const shortTerm = this.windows(Math.round(SHORT_TERM_SEC / STEP_SEC));
    return {
      integrated: gatedLoudness(blocks),
      momentaryMax: lufsFromPower(blocks.reduce((a, b) => Math.max(a, b), 0)),
      shortTermMax: lufsFromPower(shortTerm.reduce((a, b) => Math.max(a, b), 0)),
      samplePeak: this.peak,
    };
  }
}

/** BS.1770-4 gating over 400 ms block powers: absolute -70 LUFS, then relative -10 LU. */
export function gatedLoudness(blockPowers: readonly number[]): number {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const loud = blockPowers.filter((p) => lufsFromPower(p) > ABSOLUTE_GATE);
  if (loud.length === 0) return -Infinity;
  const threshold = lufsFromPower(mean(loud)) + RELATIVE_GATE;
  const kept = loud.filter((p) => lufsFromPower(p) > threshold);
  return kept.length ? lufsFromPower(mean(kept)) : -Infinity;
}
