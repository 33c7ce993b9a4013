import { nextPowerOfTwo } from '../dsp/fft';
import { ComplexFFT32 } from '../dsp/fft32';
import { hannWindow } from '../dsp/stft';

/**
 * Full-rate stems: each channel's own STFT at the media's rate, masked, and overlap-added back,
 * streaming (a window's worth of samples per channel in memory, whatever the length).
 *
 * The grid is the models' scaled to the rate: hop = round(256 * rate / 11025), window = 4 * hop
 * (periodic Hann: 1022 at 11025 Hz, 4096 at 44.1 kHz), FFT size the next power of two (fast, and
 * finer bins) unless that doubles the work, in which case the window is that power of two
 * (48 kHz: hop 1115, window 4096). Frame i is centred on sample i * hop (reflect padding at both ends, like the
 * models' STFT), so it sits at time i * hop / rate, which maps to model frame
 * time * 11025 / 256. Masks come from the model grid by linear interpolation in time and
 * frequency; above the models' 5512.5 Hz the mask blends, over a quarter octave, into its mean over
 * the top octave (2756-5512 Hz) of that frame. The source masks sum to at most 1 in every bin and
 * the residual is the rest: the mixture minus the sources, computed in the time domain (the same as
 * masking with 1 - sum, the iSTFT being linear, at one inverse FFT less per channel and frame), so
 * the stems sum back to the mixture to float precision.
 */

export interface FullRateGrid {
  rate: number;
  hop: number;
  win: number;
  nFft: number;
  bins: number;
}

export function fullRateGrid(rate: number, model: { sampleRate: number; hop: number }): FullRateGrid {
  const hop = Math.max(1, Math.round((model.hop * rate) / model.sampleRate));
  let win = 4 * hop;
  let nFft = nextPowerOfTwo(win);
  // 48 kHz: 4460 would need an 8192-point FFT (twice the work); a 4096 window (85 ms instead of
  // 93 ms, 11.7 Hz bins instead of 10.8) is as good a match to the models' grid at half the cost.
  if (nFft > 1.5 * win) {
    nFft /= 2;
    win = nFft;
  }
  return { rate, hop, win, nFft, bins: nFft / 2 + 1 };
}

/** Per full-rate bin: the two model bins and weight, or -1 where the top-octave mean applies. */
export interface BinMap {
  b0: Int32Array;
  w: Float32Array;
  /** 0 = below the models' Nyquist rate, 1 = fully the top-octave mean; between = blend. */
  top: Float32Array;
}

export function binMap(grid: FullRateGrid, model: { sampleRate: number; nFft: number; bins: number }): BinMap {
  const b0 = new Int32Array(grid.bins), w = new Float32Array(grid.bins), top = new Float32Array(grid.bins);
  const modelBinHz = model.sampleRate / model.nFft;
  const last = model.bins - 1;
  for (let k = 0; k < grid.bins; k++) {
    const q = (k * grid.rate) / grid.nFft / modelBinHz;
    if (q <= last) {
      b0[k] = Math.min(last - 1, Math.floor(q));
      w[k] = q - b0[k];
    } else {
      b0[k] = last - 1;
      w[k] = 1;
      // Quarter octave above the top bin: 2^(1/4) - 1 = 0.19 of its frequency.
      top[k] = Math.min(1, (q - last) / (0.19 * last));
    }
  }
  return { b0, w, top };
}

export interface MaskProvider {
  /** (N + 1) x bins masks (sources then residual) at model-frame position p, for the full-rate bins. */
  masksAt(timeSec: number, out: Float32Array[]): void;
}

/** Interpolates (N + 1) x modelBins model-frame masks onto the full-rate bins. */
export function interpolateFrame(m0: Float32Array, m1: Float32Array, tw: number, outputs: number, modelBins: number, map: BinMap, out: Float32Array[], scratch: Float32Array): void {
  const topFrom = modelBins >> 1;
  for (let o = 0; o < outputs; o++) {
    const off = o * modelBins;
    let mean = 0;
    for (let b = 0; b < modelBins; b++) {
      const v = (1 - tw) * m0[off + b] + tw * m1[off + b];
      scratch[b] = v;
      if (b >= topFrom) mean += v;
    }
    mean /= modelBins - topFrom;
    const dst = out[o];
    for (let k = 0; k < dst.length; k++) {
      const b = map.b0[k];
      const v = scratch[b] + map.w[k] * (scratch[b + 1] - scratch[b]);
      const t = map.top[k];
      dst[k] = t === 0 ? v : v + t * (mean - v);
    }
  }
}

export interface StemSink {
  /** Final samples of every output: out[o][channel], equal lengths. */
  write(out: Float32Array[][]): Promise<void>;
}

/**
 * Streaming STFT -> masks -> iSTFT for `outputs` stems of a `channels`-channel signal.
 * push() input, then process() as far as masks allow; finish() once the input has ended.
 */
export class FullRateSynth {
  private readonly fft: ComplexFFT32;
  private readonly window: Float64Array;
  private readonly half: number;
  /** Channels go through the FFTs in pairs; an odd last channel is paired with silence. */
  private readonly pairs: number;
  private input: Float32Array[];
  private inStart = 0; // absolute sample of input[c][0]
  private inLen = 0;
  private total = -1; // known once the input has ended
  private ola: Float64Array[][]; // [o][c], absolute start olaStart
  private env: Float64Array;
  private olaStart: number;
  private emitted = 0; // samples already handed to the sink
  next = 0; // next frame to compute
  private readonly masks: Float32Array[];
  /** Per channel (and the silent partner of an odd last one), the frame's half spectrum. */
  private readonly re: Float64Array[];
  private readonly im: Float64Array[];
  /** The same, the real channels only (what the masks read). */
  private readonly channelRe: Float64Array[];
  private readonly channelIm: Float64Array[];
  private readonly windowByN: Float64Array;
  private invEnv = new Float64Array(0);

  constructor(
    readonly grid: FullRateGrid,
    readonly channels: number,
    /** Stems made by masks (the sources). */
    readonly outputs: number,
    /** Also emit the residual (input minus the sources) as the last output. */
    readonly residual = true,
  ) {
    this.fft = ComplexFFT32.of(grid.nFft);
    const w = hannWindow(grid.win);
    this.window = new Float64Array(grid.nFft);
    this.window.set(w, Math.floor((grid.nFft - grid.win) / 2));
    this.half = grid.nFft / 2;
    this.pairs = Math.ceil(channels / 2);
    this.olaStart = -this.half; // frame 0 starts half a window before sample 0
    this.input = Array.from({ length: channels }, () => new Float32Array(grid.nFft * 4));
    const olaLen = grid.nFft + grid.hop * 8;
    this.ola = Array.from({ length: outputs }, () => Array.from({ length: channels }, () => new Float64Array(olaLen)));
    this.env = new Float64Array(olaLen);
    this.masks = Array.from({ length: outputs }, () => new Float32Array(grid.bins));
    this.re = Array.from({ length: 2 * this.pairs }, () => new Float64Array(grid.bins));
    this.im = Array.from({ length: 2 * this.pairs }, () => new Float64Array(grid.bins));
    this.channelRe = this.re.slice(0, channels);
    this.channelIm = this.im.slice(0, channels);
    this.windowByN = this.window.map((v) => v / grid.nFft);
  }

  /** Time (s) of frame i's centre relative to the start of the input. */
  frameTime(i: number): number {
    return (i * this.grid.hop) / this.grid.rate;
  }

  push(chunk: Float32Array[]): void {
    const n = chunk[0].length;
    if (this.inLen + n > this.input[0].length) {
      // Drop samples no future frame needs (frame `next` starts at next*hop - half, reflection may need up to half more at the start).
      const keepFrom = Math.max(0, Math.min(this.emitted, this.next * this.grid.hop - this.half - this.half));
      const drop = Math.max(0, keepFrom - this.inStart);
      const size = Math.max(this.input[0].length, 2 * (this.inLen - drop + n));
      this.input = this.input.map((buf) => {
        const next = size === buf.length ? buf : new Float32Array(size);
        next.set(buf.subarray(drop, this.inLen));
        return next;
      });
      this.inStart += drop;
      this.inLen -= drop;
    }
    for (let c = 0; c < this.channels; c++) this.input[c].set(chunk[c], this.inLen);
    this.inLen += n;
  }

  end(): void {
    this.total = this.inStart + this.inLen;
  }

  /** Number of frames the whole input needs (known after end()). */
  get frameTotal(): number {
    if (this.total < 0) return Infinity;
    return Math.max(1, Math.ceil((this.total + this.half) / this.grid.hop));
  }

  /** Whether frame i's input samples are all present. */
  canCompute(i: number): boolean {
    if (i >= this.frameTotal) return false;
    if (this.total >= 0) return true;
    return i * this.grid.hop + this.half + this.half <= this.inStart + this.inLen; // reflection at the end needs the end
  }

  private sample(c: number, idx: number): number {
    const L = this.total >= 0 ? this.total : Infinity;
    if (idx < 0) idx = -idx;
    if (idx >= L) idx = L === 1 ? 0 : 2 * (L - 1) - idx;
    if (idx < 0) idx = 0; // very short signals
    const j = idx - this.inStart;
    return j >= 0 && j < this.inLen ? this.input[c][j] : 0;
  }

  /** Windowed frame of channel c starting at absolute sample `start` into z (every other value from `offset`). */
  private windowed(c: number, start: number, inside: boolean, z: Float32Array, offset: number): void {
    const win = this.window, nFft = this.grid.nFft;
    const buf = this.input[c];
    if (inside) {
      const off = start - this.inStart;
      for (let n = 0, p = offset; n < nFft; n++, p += 2) z[p] = win[n] * buf[off + n];
    } else {
      for (let n = 0, p = offset; n < nFft; n++, p += 2) z[p] = win[n] === 0 ? 0 : win[n] * this.sample(c, start + n);
    }
  }

  /**
   * Compute frame `next` with the given full-rate masks (outputs x bins), which may read the
   * frame's spectra (re, im per input channel); advances `next`.
   *
   * Channels go in pairs through one complex FFT each way: forward, z = a + i b gives both half
   * spectra by Hermitian symmetry; inverse, the masked spectra Ya + i Yb (completed by symmetry)
   * give ya + i yb. An odd channel left over (mono) is paired with silence.
   */
  computeFrame(masks: (out: Float32Array[], re: readonly Float64Array[], im: readonly Float64Array[]) => void): void {
    const i = this.next;
    const { nFft, hop, bins } = this.grid;
    const half = this.half;
    const start = i * hop - this.half;
    const L = this.total >= 0 ? this.total : Infinity;
    const inside = start >= 0 && start + nFft <= L;
    const win = this.window;
    const fft = this.fft;
    for (let p = 0; p < this.pairs; p++) {
      const ca = 2 * p, cb = 2 * p + 1;
      const z = fft.input;
      this.windowed(ca, start, inside, z, 0);
      if (cb < this.channels) this.windowed(cb, start, inside, z, 1);
      else for (let n = 1; n < 2 * nFft; n += 2) z[n] = 0;
      fft.forward();
      const Z = fft.output;
      const ar = this.re[ca], ai = this.im[ca], br = this.re[cb], bi = this.im[cb];
      for (let k = 0; k < bins; k++) {
        const nk = k === 0 ? 0 : nFft - k;
        const zr = Z[2 * k], zi = Z[2 * k + 1], wr = Z[2 * nk], wi = Z[2 * nk + 1];
        ar[k] = 0.5 * (zr + wr);
        ai[k] = 0.5 * (zi - wi);
        // The silent partner's spectrum stays 0 (not the rounding noise of the transform).
        if (cb < this.channels) {
          br[k] = 0.5 * (zi + wi);
          bi[k] = 0.5 * (wr - zr);
        }
      }
    }
    // The masks may depend on the frame's spectra (per channel, bins 0..nFft/2).
    masks(this.masks, this.channelRe, this.channelIm);
    // Make room in the overlap-add buffers.
    const rel = start - this.olaStart;
    if (rel + nFft > this.env.length) this.shiftOla(rel);
    const r = start - this.olaStart;
    for (let n = 0; n < nFft; n++) this.env[r + n] += win[n] * win[n];
    // Masked inverse FFTs; the output goes straight into the overlap-add buffers, windowed.
    for (let o = 0; o < this.outputs; o++) {
      const m = this.masks[o];
      for (let p = 0; p < this.pairs; p++) {
        const ca = 2 * p, cb = 2 * p + 1;
        const ar = this.re[ca], ai = this.im[ca], br = this.re[cb], bi = this.im[cb];
        const Z = fft.input;
        for (let k = 0; k <= half; k++) {
          const mk = m[k];
          const yar = mk * ar[k], yai = mk * ai[k], ybr = mk * br[k], ybi = mk * bi[k];
          // conj(Ya + i Yb) at k and N - k: the inverse is conj(FFT(conj(.))) / N.
          Z[2 * k] = yar - ybi;
          Z[2 * k + 1] = -(yai + ybr);
          if (k > 0 && k < half) {
            Z[2 * (nFft - k)] = yar + ybi;
            Z[2 * (nFft - k) + 1] = yai - ybr;
          }
        }
        fft.forward();
        const z = fft.output;
        const da = this.ola[o][ca], wn = this.windowByN;
        for (let n = 0; n < nFft; n++) da[r + n] += wn[n] * z[2 * n];
        if (cb < this.channels) {
          const db = this.ola[o][cb];
          for (let n = 0; n < nFft; n++) db[r + n] -= wn[n] * z[2 * n + 1];
        }
      }
    }
    this.next++;
  }

  private shiftOla(rel: number): void {
    // Everything before this frame's start is already emitted (see drain()).
    const drop = Math.max(0, Math.min(rel, this.emitted - this.olaStart));
    const need = rel - drop + this.grid.nFft;
    const size = Math.max(this.env.length, need * 2);
    const move = (a: Float64Array) => {
      const b = size === a.length ? a : new Float64Array(size);
      b.set(a.subarray(drop));
      if (b === a) b.fill(0, a.length - drop);
      return b;
    };
    this.env = move(this.env);
    this.ola = this.ola.map((chs) => chs.map(move));
    this.olaStart += drop;
  }

  /** Hand every final sample to the sink (sources, then the residual; all of them once the last frame is done). */
  async drain(sink: StemSink, all = false): Promise<void> {
    const finalEnd = all ? this.total : Math.min(this.total >= 0 ? this.total : Infinity, this.next * this.grid.hop - this.half);
    const n = finalEnd - this.emitted;
    if (n <= 0) return;
    const r = this.emitted - this.olaStart;
    // 1 / (summed squared window), 0 where it vanishes, once for every stem.
    if (this.invEnv.length < n) this.invEnv = new Float64Array(Math.max(n, 2 * this.invEnv.length));
    const inv = this.invEnv, env = this.env;
    for (let i = 0; i < n; i++) {
      const e = env[r + i];
      inv[i] = e > 1e-11 ? 1 / e : 0;
    }
    const out: Float32Array[][] = [];
    for (let o = 0; o < this.outputs; o++) {
      const chs: Float32Array[] = [];
      for (let c = 0; c < this.channels; c++) {
        const a = new Float32Array(n);
        const src = this.ola[o][c];
        for (let i = 0; i < n; i++) a[i] = src[r + i] * inv[i];
        chs.push(a);
      }
      out.push(chs);
    }
    if (this.residual) {
      const res: Float32Array[] = [];
      const off = this.emitted - this.inStart;
      for (let c = 0; c < this.channels; c++) {
        const a = this.input[c].slice(off, off + n);
        for (let o = 0; o < this.outputs; o++) {
          const s = out[o][c];
          for (let i = 0; i < n; i++) a[i] -= s[i];
        }
        res.push(a);
      }
      out.push(res);
    }
    this.emitted = finalEnd;
    await sink.write(out);
  }
}
