import { RealFFT } from './fft';

/**
 * STFT / iSTFT with the convention of torch.stft(center=True, pad_mode='reflect',
 * window=torch.hann_window(win_length), onesided=True, normalized=False) and torch.istft, which is
 * also librosa.stft(center=True, pad_mode='reflect') for the periodic Hann window. docs/dsp.md
 * states the formulas; the Python training side must use the same ones.
 *
 *   padded  = reflect-pad x by floor(nFft/2) on both sides (numpy 'reflect': no edge repeat)
 *   X[f, t] = sum_{n=0}^{nFft-1} w[n] * padded[t*hop + n] * exp(-2 pi i f n / nFft),  f = 0..nFft/2
 *   w       = periodic Hann of winLength, zero-padded centrally to nFft
 *   frames  = 1 + floor(len / hop)
 *
 * Spectrogram layout is frequency-major like torch/librosa: value (f, t) is at f * nFrames + t.
 */

export interface StftOptions {
  nFft?: number;
  hop?: number;
  /** Window length (<= nFft); the window is centred in the nFft frame. Default nFft. */
  winLength?: number;
  /** false: no padding, frames start at sample 0 (torch center=False). */
  center?: boolean;
  padMode?: 'reflect' | 'constant';
}

export interface Spectrogram {
  nFft: number;
  hop: number;
  winLength: number;
  center: boolean;
  nBins: number;
  nFrames: number;
  /** Length of the signal that was analysed (used by istft to restore it). */
  length: number;
  re: Float32Array;
  im: Float32Array;
}

export const STFT_DEFAULTS = { nFft: 1022, hop: 256, center: true, padMode: 'reflect' as const };

/** Hann window; periodic (torch.hann_window default, scipy 'hann' with fftbins) unless told. */
export function hannWindow(n: number, periodic = true): Float64Array {
  const w = new Float64Array(n);
  const denom = periodic ? n : n - 1;
  if (n === 1) {
    w[0] = 1;
    return w;
  }
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / denom);
  return w;
}

/** Analysis/synthesis window of a frame: Hann of winLength centred in nFft. */
export function frameWindow(nFft: number, winLength: number): Float64Array {
  if (winLength > nFft || winLength < 1) throw new RangeError(`winLength ${winLength} must be in 1..nFft (${nFft})`);
  const w = new Float64Array(nFft);
  w.set(hannWindow(winLength), Math.floor((nFft - winLength) / 2));
  return w;
}

/** numpy.pad(mode='reflect') index map, also valid when pad exceeds the length (repeated reflection). */
export function reflectIndex(i: number, len: number): number {
  if (len === 1) return 0;
  const period = 2 * (len - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < len ? m : period - m;
}

export function frameCount(length: number, nFft: number, hop: number, center: boolean): number {
  const padded = center ? length + 2 * Math.floor(nFft / 2) : length;
  if (padded < nFft) return 0;
  return 1 + Math.floor((padded - nFft) / hop);
}

export function resolveStftOptions(opts: StftOptions) {
  const nFft = opts.nFft ?? STFT_DEFAULTS.nFft;
  const hop = opts.hop ?? STFT_DEFAULTS.hop;
  const winLength = opts.winLength ?? nFft;
  const center = opts.center ?? STFT_DEFAULTS.center;
  const padMode = opts.padMode ?? STFT_DEFAULTS.padMode;
  if (!Number.isInteger(nFft) || nFft < 2) throw new RangeError(`nFft must be an integer >= 2, got ${nFft}`);
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`hop must be a positive integer, got ${hop}`);
  return { nFft, hop, winLength, center, padMode };
}

const planCache = new Map<number, RealFFT>();
export function planFor(n: number): RealFFT {
  let p = planCache.get(n);
  if (!p) {
    p = new RealFFT(n);
    if (planCache.size > 8) planCache.clear();
    planCache.set(n, p);
  }
  return p;
}

export function stft(signal: ArrayLike<number>, options: StftOptions = {}): Spectrogram {
  const { nFft, hop, center } = resolveStftOptions(options);
  const len = signal.length;
  return stftFrames({ samples: signal, offset: 0, totalLength: len }, 0, frameCount(len, nFft, hop, center), options);
}

/** Part of a long signal held in memory: samples[k] is sample offset + k of a signal of totalLength. */
export interface SignalWindow {
  samples: ArrayLike<number>;
  offset: number;
  totalLength: number;
}

/**
 * Samples [start, end) that frames t0 .. t0+count-1 read, reflection at the edges included. A
 * window covering them gives exactly the frames that stft() of the whole signal gives.
 */
export function samplesForFrames(t0: number, count: number, totalLength: number, options: StftOptions = {}): { start: number; end: number } {
  const { nFft, hop, center } = resolveStftOptions(options);
  const pad = center ? Math.floor(nFft / 2) : 0;
  const len = totalLength;
  const lo = t0 * hop - pad;
  const hi = (t0 + count - 1) * hop - pad + nFft - 1;
  if (count <= 0) return { start: 0, end: 0 };
  if (len <= pad + 1) return { start: 0, end: len }; // repeated reflection may touch anything
  let start = Math.max(0, lo);
  let end = Math.min(len, hi + 1);
  if (lo < 0) end = Math.min(len, Math.max(end, -lo + 1));
  if (hi >= len) start = Math.max(0, Math.min(start, 2 * (len - 1) - hi));
  return { start, end };
}

/** Frames t0 .. t0+count-1 of the STFT of a signal of which `win` holds (at least) the needed part. */
export function stftFrames(win: SignalWindow, t0: number, count: number, options: StftOptions = {}): Spectrogram {
  const { nFft, hop, winLength, center, padMode } = resolveStftOptions(options);
  const { samples, offset, totalLength: len } = win;
  const pad = center ? Math.floor(nFft / 2) : 0;
  const nFrames = Math.max(0, count);
  const need = samplesForFrames(t0, nFrames, len, options);
  if (nFrames > 0 && (need.start < offset || need.end > offset + samples.length)) {
    throw new RangeError(`frames ${t0}..${t0 + nFrames - 1} need samples ${need.start}..${need.end - 1}, window holds ${offset}..${offset + samples.length - 1}`);
  }
  const plan = planFor(nFft);
  const nBins = plan.bins;
  const w = frameWindow(nFft, winLength);
  const re = new Float32Array(nBins * nFrames);
  const im = new Float32Array(nBins * nFrames);

  const f1 = new Float64Array(nFft);
  const f2 = new Float64Array(nFft);
  const s1 = new Float64Array(2 * nBins);
  const s2 = new Float64Array(2 * nBins);

  const fill = (frame: Float64Array, t: number) => {
    const start = (t0 + t) * hop - pad;
    if (start >= 0 && start + nFft <= len) {
      const base = start - offset;
      for (let n = 0; n < nFft; n++) frame[n] = w[n] * samples[base + n];
    } else {
      for (let n = 0; n < nFft; n++) {
        const i = start + n;
        let v: number;
        if (i >= 0 && i < len) v = samples[i - offset];
        else if (padMode === 'reflect' && len > 0) v = samples[reflectIndex(i, len) - offset];
        else v = 0;
        frame[n] = w[n] * v;
      }
    }
  };
  const store = (spec: Float64Array, t: number) => {
    for (let f = 0; f < nBins; f++) {
      re[f * nFrames + t] = spec[2 * f];
      im[f * nFrames + t] = spec[2 * f + 1];
    }
  };

  for (let t = 0; t < nFrames; t += 2) {
    fill(f1, t);
    const two = t + 1 < nFrames;
    if (two) fill(f2, t + 1);
    plan.forward2(f1, two ? f2 : null, s1, two ? s2 : null);
    store(s1, t);
    if (two) store(s2, t + 1);
  }
  return { nFft, hop, winLength, center, nBins, nFrames, length: len, re, im };
}

export interface IstftOptions {
  /** Output length; default the analysed length recorded in the spectrogram. */
  length?: number;
}

/**
 * Inverse STFT by weighted overlap-add (torch.istft): y = sum_t w * irfft(X[:, t]) shifted by
 * t*hop, divided by sum_t w^2 (where that sum > 1e-11), then the centre padding is trimmed.
 * Accepts any spectrogram with the same layout (e.g. a masked one) via `re`/`im`.
 */
export function istft(spec: Spectrogram, options: IstftOptions = {}): Float32Array {
  const { nFft, hop, winLength, center, nBins, nFrames, re, im } = spec;
  const length = options.length ?? spec.length;
  const pad = center ? Math.floor(nFft / 2) : 0;
  const plan = planFor(nFft);
  if (plan.bins !== nBins) throw new RangeError(`spectrogram has ${nBins} bins, nFft ${nFft} needs ${plan.bins}`);
  const win = frameWindow(nFft, winLength);
  const olaLen = nFft + hop * Math.max(0, nFrames - 1);
  const y = new Float64Array(olaLen);
  const env = new Float64Array(olaLen);

  overlapAddFrames(plan, { nBins, nFrames, re, im }, win, hop, 0, y, env, scratchFor(nFft));
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const j = i + pad;
    if (j >= olaLen) break;
    out[i] = env[j] > 1e-11 ? y[j] / env[j] : 0;
  }
  return out;
}

/** Reusable buffers for overlapAddFrames (two packed spectra, two time frames). */
export interface OlaScratch {
  s1: Float64Array;
  s2: Float64Array;
  f1: Float64Array;
  f2: Float64Array;
}

export function scratchFor(nFft: number): OlaScratch {
  const bins = Math.floor(nFft / 2) + 1;
  return { s1: new Float64Array(2 * bins), s2: new Float64Array(2 * bins), f1: new Float64Array(nFft), f2: new Float64Array(nFft) };
}

/**
 * The iSTFT's inner loop, shared by istft() and the streaming OverlapAdd: inverse-FFT the frames
 * two at a time and add each windowed frame into `y` and the squared window into `env`, frame t
 * starting at `offset + t * hop`.
 */
export function overlapAddFrames(
  plan: RealFFT,
  spec: Pick<Spectrogram, 'nBins' | 'nFrames' | 're' | 'im'>,
  win: Float64Array,
  hop: number,
  offset: number,
  y: Float64Array,
  env: Float64Array,
  { s1, s2, f1, f2 }: OlaScratch,
): void {
  const { nBins, nFrames, re, im } = spec;
  const nFft = win.length;
  const load = (s: Float64Array, t: number) => {
    for (let f = 0; f < nBins; f++) {
      s[2 * f] = re[f * nFrames + t];
      s[2 * f + 1] = im[f * nFrames + t];
    }
  };
  const add = (frame: Float64Array, t: number) => {
    const start = offset + t * hop;
    for (let n = 0; n < nFft; n++) {
      y[start + n] += win[n] * frame[n];
      env[start + n] += win[n] * win[n];
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
}

/** |X| for every (bin, frame), same layout. */
export function magnitude(spec: Pick<Spectrogram, 're' | 'im'>): Float32Array {
  const { re, im } = spec;
  const out = new Float32Array(re.length);
  for (let i = 0; i < re.length; i++) out[i] = Math.sqrt(re[i] * re[i] + im[i] * im[i]);
  return out;
}
