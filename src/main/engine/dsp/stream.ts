import { frameCount, frameWindow, planFor, resolveStftOptions, type Spectrogram, type StftOptions } from './stft';

/**
 * Streaming inverse STFT for windowed processing of long media: push blocks of consecutive frames
 * (from stftFrames, masked or not) and receive finished output samples in order. The weighted
 * overlap-add and its normalisation are the same sums istft() forms, so block boundaries leave no
 * seams: the output equals istft() of the whole spectrogram.
 */
export class OverlapAdd {
  readonly nFft: number;
  readonly hop: number;
  readonly length: number;
  readonly totalFrames: number;
  private readonly pad: number;
  private readonly win: Float64Array;
  private readonly bins: number;
  /** Accumulators over padded sample positions [base, base + y.length). */
  private y: Float64Array;
  private env: Float64Array;
  private base = 0;
  private nextFrame = 0;
  /** Next output (unpadded) sample to emit. */
  private emitted = 0;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;

  /** `length`: samples of the whole output signal (the analysed signal's length). */
  constructor(length: number, options: StftOptions = {}) {
    const { nFft, hop, winLength, center } = resolveStftOptions(options);
    this.nFft = nFft;
    this.hop = hop;
    this.length = length;
    this.pad = center ? Math.floor(nFft / 2) : 0;
    this.totalFrames = frameCount(length, nFft, hop, center);
    this.win = frameWindow(nFft, winLength);
    this.bins = planFor(nFft).bins;
    this.y = new Float64Array(4 * nFft);
    this.env = new Float64Array(4 * nFft);
    this.s1 = new Float64Array(2 * this.bins);
    this.s2 = new Float64Array(2 * this.bins);
    this.f1 = new Float64Array(nFft);
    this.f2 = new Float64Array(nFft);
  }

  /** Frames pushed so far (the next block must start at this frame). */
  get framesPushed(): number {
    return this.nextFrame;
  }

  /** Make the accumulators cover padded positions up to `end` (exclusive). */
  private ensure(end: number): void {
    const need = end - this.base;
    if (need <= this.y.length) return;
    const size = Math.max(need, 2 * this.y.length);
    const y = new Float64Array(size);
    const env = new Float64Array(size);
    y.set(this.y);
    env.set(this.env);
    this.y = y;
    this.env = env;
  }

  /** Add the next `spec.nFrames` frames; returns the output samples completed by them. */
  push(spec: Pick<Spectrogram, 'nBins' | 'nFrames' | 're' | 'im'>): Float32Array {
    const { nFrames, re, im } = spec;
    if (spec.nBins !== this.bins) throw new RangeError(`expected ${this.bins} bins, got ${spec.nBins}`);
    if (this.nextFrame + nFrames > this.totalFrames) throw new RangeError(`too many frames: ${this.nextFrame + nFrames} > ${this.totalFrames}`);
    const plan = planFor(this.nFft);
    const { nFft, hop, win, bins, s1, s2, f1, f2 } = this;
    this.ensure((this.nextFrame + nFrames - 1) * hop + nFft);
    const load = (s: Float64Array, t: number) => {
      for (let f = 0; f < bins; f++) {
        s[2 * f] = re[f * nFrames + t];
        s[2 * f + 1] = im[f * nFrames + t];
      }
    };
    const add = (frame: Float64Array, t: number) => {
      const start = (this.nextFrame + t) * hop - this.base;
      for (let n = 0; n < nFft; n++) {
        this.y[start + n] += win[n] * frame[n];
        this.env[start + n] += win[n] * win[n];
      }
    };
    for (let t = 0; t < nFrames; t += 2) {
      load(s1, t);
      const two = t + 1 < nFrames;
      if (two) load(s2, t + 1);
      plan.inverse2(s1, two ? s2 : null, f1, two ? f2 : null);
      add(f1, t);
      if (two) add(f2, t + 1);
    }
    this.nextFrame += nFrames;
    // Padded positions below nextFrame * hop get no more contributions.
    const doneUntil = this.nextFrame >= this.totalFrames ? Infinity : this.nextFrame * hop;
    return this.emit(doneUntil);
  }

  /** Output samples not yet returned (after the last frame: the rest of the signal, zero-filled). */
  finish(): Float32Array {
    if (this.nextFrame < this.totalFrames) throw new RangeError(`only ${this.nextFrame} of ${this.totalFrames} frames were pushed`);
    return this.emit(Infinity);
  }

  private emit(paddedEnd: number): Float32Array {
    const end = Math.min(this.length, paddedEnd - this.pad);
    const count = Math.max(0, end - this.emitted);
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const j = this.emitted + k + this.pad - this.base;
      if (j >= 0 && j < this.y.length) out[k] = this.env[j] > 1e-11 ? this.y[j] / this.env[j] : 0;
    }
    this.emitted += count;
    // Drop accumulator positions that are emitted and no longer reachable.
    const drop = Math.min(this.emitted + this.pad, this.nextFrame * this.hop) - this.base;
    if (drop > this.y.length / 2) {
      this.y.copyWithin(0, drop);
      this.env.copyWithin(0, drop);
      this.y.fill(0, this.y.length - drop);
      this.env.fill(0, this.env.length - drop);
      this.base += drop;
    }
    return out;
  }
}
