import {
  frameCount,
  frameWindow,
  overlapAddFrames,
  planFor,
  resolveStftOptions,
  scratchFor,
  type OlaScratch,
  type Spectrogram,
  type StftOptions,
} from './stft';

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
  private readonly scratch: OlaScratch;

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
    this.scratch = scratchFor(nFft);
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
    const { nFrames } = spec;
    if (spec.nBins !== this.bins) throw new RangeError(`expected ${this.bins} bins, got ${spec.nBins}`);
    if (this.nextFrame + nFrames > this.totalFrames) throw new RangeError(`too many frames: ${this.nextFrame + nFrames} > ${this.totalFrames}`);
    const { nFft, hop } = this;
    this.ensure((this.nextFrame + nFrames - 1) * hop + nFft);
    overlapAddFrames(planFor(nFft), spec, this.win, hop, this.nextFrame * hop - this.base, this.y, this.env, this.scratch);
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
