import { AppError } from '../../../shared/errors';
import { RealFFT, nextPowerOfTwo } from '../dsp/fft';
import { factorSymmetric, type Factorization } from './linalg';

/**
 * bss_eval_sources as in mir_eval 0.7 (itself checked against MATLAB BSS_eval v3):
 * each estimate is decomposed, with time-invariant distortion filters of 512 taps, into
 *   P_j   = projection on delayed copies of reference j          (s_true + e_spat)
 *   P_all = projection on delayed copies of all references        (+ e_interf)
 *   e_artif = estimate - P_all
 * SDR = |P_j|^2 / |est - P_j|^2, SIR = |P_j|^2 / |P_all - P_j|^2, SAR = |P_all|^2 / |est - P_all|^2 (dB).
 * Inner products of delayed signals come from FFT correlations, as in mir_eval's _project.
 * The Gram matrices depend only on the references, so they are factored once and reused for every
 * estimate (mir_eval rebuilds them per pair; the numbers are the same).
 */

export interface BssEvalOptions {
  /** Search the estimate order that maximises mean SIR (default true, like mir_eval). */
  computePermutation?: boolean;
  /** Distortion filter length in samples (mir_eval: 512). */
  filterLength?: number;
}

export interface BssEvalResult {
  /** One value per reference source, for the estimate matched to it. May be +Infinity. */
  sdr: number[];
  sir: number[];
  sar: number[];
  /** permutation[j] = index of the estimate matched to reference j. */
  permutation: number[];
}

export class BssEvalError extends AppError {
  override name = 'BssEvalError';
  constructor(message: string) {
    super('bad_request', message);
  }
}

/** Most sources for which all orderings are tried (n! grows fast; mir_eval allows 100 but never finishes). */
export const MAX_PERMUTED_SOURCES = 9;

type Signal = ArrayLike<number>;

function validate(refs: Signal[], ests: Signal[], permute: boolean): void {
  if (refs.length === 0) throw new BssEvalError('no reference sources given');
  if (refs.length !== ests.length) {
    throw new BssEvalError(`got ${refs.length} reference(s) and ${ests.length} estimate(s); give one estimate per reference`);
  }
  const len = refs[0].length;
  for (const s of [...refs, ...ests]) {
    if (s.length !== len) throw new BssEvalError('all references and estimates must have the same length');
  }
  if (len === 0) throw new BssEvalError('the signals are empty');
  const silent = (s: Signal) => {
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) return false;
    return true;
  };
  refs.forEach((s, i) => {
    if (silent(s)) throw new BssEvalError(`reference ${i + 1} is silent (all zeros); every reference must contain sound`);
  });
  ests.forEach((s, i) => {
    if (silent(s)) throw new BssEvalError(`estimate ${i + 1} is silent (all zeros); SDR is undefined for it`);
  });
  if (permute && refs.length > MAX_PERMUTED_SOURCES) {
    throw new BssEvalError(`permutation search over ${refs.length} sources is too slow; use --no-permutation`);
  }
}

function dB(num: number, den: number): number {
  return den === 0 ? Infinity : 10 * Math.log10(num / den);
}

/** Precomputed reference spectra and factored Gram matrices. */
function factorOrFail(g: Float64Array, n: number): Factorization {
  const f = factorSymmetric(g, n);
  if (!f) throw new BssEvalError('the reference sources are linearly dependent (one is a filtered copy of the others)');
  return f;
}

class Projector {
  readonly nsrc: number;
  readonly len: number;
  readonly flen: number;
  readonly fft: RealFFT;
  /** Half spectra of the references, zero-padded to nfft. */
  readonly spectra: Float64Array[];
  private readonly gAll: Factorization;
  private readonly gOne: Factorization[];

  constructor(refs: Signal[], flen: number) {
    this.nsrc = refs.length;
    this.len = refs[0].length;
    this.flen = flen;
    const nfft = nextPowerOfTwo(this.len + flen - 1);
    this.fft = new RealFFT(nfft);
    this.spectra = this.forwardAll(refs);

    const n = this.nsrc * flen;
    const g = new Float64Array(n * n);
    const pairs: [number, number][] = [];
    for (let i = 0; i < this.nsrc; i++) for (let j = i; j < this.nsrc; j++) pairs.push([i, j]);
    const corr = this.correlations(pairs.map(([i, j]) => [this.spectra[i], this.spectra[j]]));
    pairs.forEach(([i, j], p) => {
      const ssf = corr[p];
      // G[(i,a),(j,b)] = <ref_i delayed a, ref_j delayed b> = ssf_ij[(b - a) mod nfft]
      for (let a = 0; a < flen; a++) {
        for (let b = 0; b < flen; b++) {
          const v = ssf[(b - a + nfft) % nfft];
          g[(i * flen + a) * n + j * flen + b] = v;
          g[(j * flen + b) * n + i * flen + a] = v;
        }
      }
    });
    this.gOne = [];
    for (let j = 0; j < this.nsrc; j++) {
      const block = new Float64Array(flen * flen);
      for (let a = 0; a < flen; a++) block.set(g.subarray((j * flen + a) * n + j * flen, (j * flen + a) * n + (j + 1) * flen), a * flen);
      this.gOne.push(factorOrFail(block, flen));
    }
    this.gAll = factorOrFail(g, n);
  }

  forwardAll(signals: Signal[]): Float64Array[] {
    const { fft } = this;
    const frame = (s: Signal) => {
      const x = new Float64Array(fft.n);
      for (let i = 0; i < s.length; i++) x[i] = s[i];
      return x;
    };
    const out: Float64Array[] = [];
    for (let i = 0; i < signals.length; i += 2) {
      const a = new Float64Array(2 * fft.bins);
      const b = i + 1 < signals.length ? new Float64Array(2 * fft.bins) : null;
      fft.forward2(frame(signals[i]), b ? frame(signals[i + 1]) : null, a, b);
      out.push(a);
      if (b) out.push(b);
    }
    return out;
  }

  /** irfft(X * conj(Y)) for each pair, two inverse transforms at a time. */
  correlations(pairs: [Float64Array, Float64Array][]): Float64Array[] {
    const { fft } = this;
    const products = pairs.map(([x, y]) => {
      const p = new Float64Array(x.length);
      for (let k = 0; k < x.length; k += 2) {
        p[k] = x[k] * y[k] + x[k + 1] * y[k + 1];
        p[k + 1] = x[k + 1] * y[k] - x[k] * y[k + 1];
      }
      return p;
    });
    return this.inverseAll(products);
  }

  inverseAll(spectra: Float64Array[]): Float64Array[] {
    const { fft } = this;
    const out: Float64Array[] = [];
    for (let i = 0; i < spectra.length; i += 2) {
      const a = new Float64Array(fft.n);
      const b = i + 1 < spectra.length ? new Float64Array(fft.n) : null;
      fft.inverse2(spectra[i], b ? spectra[i + 1] : null, a, b);
      out.push(a);
      if (b) out.push(b);
    }
    return out;
  }

  /**
   * Projections of one estimate: on all references, and on each reference alone.
   * Returns time signals of length len + flen - 1.
   */
  project(estSpectrum: Float64Array): { all: Float64Array; one: Float64Array[] } {
    const { nsrc, flen, fft } = this;
    const nfft = fft.n;
    const corr = this.correlations(this.spectra.map((s) => [s, estSpectrum]));
    // D[(i,a)] = <ref_i delayed a, est> = ssef_i[(-a) mod nfft]
    const d = new Float64Array(nsrc * flen);
    for (let i = 0; i < nsrc; i++) for (let a = 0; a < flen; a++) d[i * flen + a] = corr[i][(nfft - a) % nfft];

    const cAll = this.gAll.solve(d);
    const filters: Float64Array[][] = [Array.from({ length: nsrc }, (_, i) => cAll.subarray(i * flen, (i + 1) * flen))];
    for (let j = 0; j < nsrc; j++) filters.push([this.gOne[j].solve(d.subarray(j * flen, (j + 1) * flen))]);

    // Filtering: sum_i conv(C_i, ref_i), done in the frequency domain (no wrap: len + flen - 1 <= nfft).
    const filterSpectra = this.forwardAll(filters.flatMap((f) => f));
    const outLen = this.len + flen - 1;
    const sums: Float64Array[] = [];
    let f = 0;
    filters.forEach((group, g) => {
      const acc = new Float64Array(2 * fft.bins);
      group.forEach((_, gi) => {
        const src = g === 0 ? gi : g - 1;
        const h = filterSpectra[f++];
        const s = this.spectra[src];
        for (let k = 0; k < acc.length; k += 2) {
          acc[k] += h[k] * s[k] - h[k + 1] * s[k + 1];
          acc[k + 1] += h[k] * s[k + 1] + h[k + 1] * s[k];
        }
      });
      sums.push(acc);
    });
    const signals = this.inverseAll(sums).map((x) => x.subarray(0, outLen));
    // One reference: both projections are the same computation in mir_eval, so interference is
    // exactly zero (SIR = +inf); don't let FFT rounding differences make it finite.
    if (nsrc === 1) return { all: signals[1], one: [signals[1]] };
    return { all: signals[0], one: signals.slice(1) };
  }
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  // Lexicographic order, like itertools.permutations, so ties resolve as mir_eval's argmax does.
  const rec = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) out.push(prefix);
    rest.forEach((v, i) => rec([...prefix, v], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  rec([], Array.from({ length: n }, (_, i) => i));
  return out;
}

export function bssEvalSources(references: Signal[], estimates: Signal[], options: BssEvalOptions = {}): BssEvalResult {
  const permute = options.computePermutation ?? true;
  const flen = options.filterLength ?? 512;
  validate(references, estimates, permute);
  const proj = new Projector(references, flen);
  const nsrc = references.length;
  const len = proj.len;
  const estSpectra = proj.forwardAll(estimates);

  // crit[jest][jtrue]
  const sdr: number[][] = [], sir: number[][] = [], sar: number[][] = [];
  for (let e = 0; e < nsrc; e++) {
    sdr.push([]);
    sir.push([]);
    sar.push([]);
    const { all, one } = proj.project(estSpectra[e]);
    const est = estimates[e];
    let allEnergy = 0, artif = 0;
    for (let t = 0; t < all.length; t++) {
      const x = t < len ? est[t] : 0;
      allEnergy += all[t] * all[t];
      artif += (x - all[t]) ** 2;
    }
    const targets = permute ? Array.from({ length: nsrc }, (_, j) => j) : [e];
    for (let j = 0; j < nsrc; j++) {
      if (!targets.includes(j)) {
        sdr[e].push(NaN);
        sir[e].push(NaN);
        sar[e].push(NaN);
        continue;
      }
      const pj = one[j];
      let filt = 0, dist = 0, interf = 0;
      for (let t = 0; t < pj.length; t++) {
        const x = t < len ? est[t] : 0;
        filt += pj[t] * pj[t];
        dist += (x - pj[t]) ** 2;
        interf += (all[t] - pj[t]) ** 2;
      }
      sdr[e].push(dB(filt, dist));
      sir[e].push(dB(filt, interf));
      sar[e].push(dB(allEnergy, artif));
    }
  }

  let best = Array.from({ length: nsrc }, (_, j) => j);
  if (permute) {
    let bestMean = -Infinity;
    for (const p of permutations(nsrc)) {
      let mean = 0;
      for (let j = 0; j < nsrc; j++) mean += sir[p[j]][j];
      mean /= nsrc;
      if (mean > bestMean) {
        bestMean = mean;
        best = p;
      }
    }
  }
  return {
    sdr: best.map((e, j) => sdr[e][j]),
    sir: best.map((e, j) => sir[e][j]),
    sar: best.map((e, j) => sar[e][j]),
    permutation: best,
  };
}
