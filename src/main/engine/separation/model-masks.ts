import { completeMasks, type MaskMode } from '../dsp/masks';
import type { ModelWindow } from '../analysis/windows';

/**
 * Masks at the model rate over the whole track, made window by window and cross-faded.
 *
 * Window w covers global model frames [w*s, w*s + F) (s = hop / stftHop frames, F = 256), so
 * neighbours overlap by O = F - s frames. Each window's masks are weighted by a trapezoid with
 * raised-cosine ramps over the overlap, r(j) = 0.5 - 0.5 cos(pi (j + 0.5) / O), which never reaches
 * 0 and sums to 1 across the overlap, and accumulated; a frame is final once no
 * later window covers it, and is divided by its summed weight. So the masks (not the audio) are
 * blended, smoothly, and every output sample is made by one STFT at full rate: no seams.
 * Final frames are completed (sources + residual, summing to 1) and kept until the consumer
 * releases them.
 */

/** A window's masks (N, bins, frames), frequency-major per source. */
export interface MaskWindowFn<W> {
  (window: W): Promise<Float32Array>;
}

export class ModelMaskTrack<W extends { start: number } = ModelWindow> {
  /** Final frames: per frame, (N + 1) x bins values (sources then residual). */
  private final: Float32Array[] = [];
  private finalBase = 0; // global frame index of final[0]
  private acc: Float64Array; // (frames of the pending region) x N x bins
  private wsum: Float64Array;
  private accBase = 0;
  private done = false;
  private readonly weights: Float64Array;
  readonly framesPerHop: number;
  private readonly iter: AsyncIterator<W>;

  constructor(
    windows: AsyncIterable<W>,
    private readonly compute: MaskWindowFn<W>,
    readonly sources: number,
    readonly bins: number,
    readonly framesPerWindow: number,
    private readonly stftHop: number,
    windowHop: number,
    private readonly mode: MaskMode,
    /** Global frame index of the first window's frame 0. */
    firstFrame = 0,
  ) {
    if (windowHop % stftHop !== 0) throw new RangeError(`window hop ${windowHop} must be a multiple of the STFT hop ${stftHop}`);
    this.framesPerHop = windowHop / stftHop;
    if (this.framesPerHop > framesPerWindow) throw new RangeError('windows must overlap or touch');
    this.weights = new Float64Array(framesPerWindow);
    const overlap = framesPerWindow - this.framesPerHop;
    const ramp = (j: number) => 0.5 - 0.5 * Math.cos((Math.PI * (j + 0.5)) / overlap);
    for (let j = 0; j < framesPerWindow; j++) {
      if (overlap <= 0) this.weights[j] = 1;
      else if (j < overlap && j >= this.framesPerHop) this.weights[j] = ramp(j) * (1 - ramp(j - this.framesPerHop));
      else if (j < overlap) this.weights[j] = ramp(j);
      else if (j >= this.framesPerHop) this.weights[j] = 1 - ramp(j - this.framesPerHop);
      else this.weights[j] = 1;
    }
    this.acc = new Float64Array(framesPerWindow * sources * bins);
    this.wsum = new Float64Array(framesPerWindow);
    this.accBase = firstFrame;
    this.finalBase = firstFrame;
    this.iter = windows[Symbol.asyncIterator]();
  }

  /** Global index one past the last final frame. */
  get available(): number {
    return this.finalBase + this.final.length;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Pull windows until frame g is final (or the track has ended). */
  async ensure(g: number): Promise<void> {
    while (!this.done && this.available <= g) await this.step();
  }

  /**
   * Masks of frame g ((N + 1) x bins), clamped to the final range: before the first or after the
   * last frame the nearest one holds.
   */
  frame(g: number): Float32Array {
    if (this.final.length === 0) throw new Error('no mask frames yet');
    const i = Math.min(this.final.length - 1, Math.max(0, g - this.finalBase));
    return this.final[i];
  }

  /** Drop frames before g (the consumer has moved past them). */
  release(g: number): void {
    const drop = Math.min(this.final.length - 1, g - this.finalBase);
    if (drop > 0) {
      this.final.splice(0, drop);
      this.finalBase += drop;
    }
  }

  private async step(): Promise<void> {
    const r = await this.iter.next();
    if (r.done) {
      this.finalize(Infinity);
      this.done = true;
      return;
    }
    const w = r.value;
    const masks = await this.compute(w);
    const F = this.framesPerWindow, B = this.bins, N = this.sources;
    const first = Math.round(w.start / this.stftHop); // global frame of j = 0
    // Frames before this window's start can no longer change.
    this.finalize(first);
    const need = first + F - this.accBase;
    if (need * N * B > this.acc.length) {
      const acc = new Float64Array(need * N * B);
      acc.set(this.acc);
      this.acc = acc;
      const ws = new Float64Array(need);
      ws.set(this.wsum);
      this.wsum = ws;
    }
    for (let j = 0; j < F; j++) {
      const row = first + j - this.accBase;
      const wj = this.weights[j];
      this.wsum[row] += wj;
      const base = row * N * B;
      for (let s = 0; s < N; s++) {
        const src = s * B * F;
        const dst = base + s * B;
        for (let b = 0; b < B; b++) this.acc[dst + b] += wj * masks[src + b * F + j];
      }
    }
    this.pendingEnd = Math.max(this.pendingEnd, first + F);
  }

  private pendingEnd = 0;

  /** Make frames [accBase, upTo) final. */
  private finalize(upTo: number): void {
    const end = Math.min(upTo, this.pendingEnd);
    const count = end - this.accBase;
    if (count <= 0) return;
    const N = this.sources, B = this.bins;
    const per = Array.from({ length: N }, () => new Float32Array(count * B));
    for (let f = 0; f < count; f++) {
      const ws = this.wsum[f] || 1;
      for (let s = 0; s < N; s++) {
        const base = f * N * B + s * B;
        for (let b = 0; b < B; b++) per[s][f * B + b] = this.acc[base + b] / ws;
      }
    }
    const complete = completeMasks(per, this.mode);
    for (let f = 0; f < count; f++) {
      const frame = new Float32Array((N + 1) * B);
      for (let o = 0; o <= N; o++) frame.set(complete[o].subarray(f * B, (f + 1) * B), o * B);
      this.final.push(frame);
    }
    // Shift the pending region.
    this.acc.copyWithin(0, count * N * B);
    this.acc.fill(0, this.acc.length - count * N * B);
    this.wsum.copyWithin(0, count);
    this.wsum.fill(0, this.wsum.length - count);
    this.accBase = end;
  }
}
