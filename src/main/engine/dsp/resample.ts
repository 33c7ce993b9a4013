/**
 * In-memory band-limited resampling (windowed sinc, Kaiser window), for signals already decoded;
 * ffmpeg's soxr does the resampling while decoding media. Output sample n sits at input time
 * n * inRate / outRate; the low-pass cut-off is `rolloff` times the lower of the two Nyquist rates.
 * For rational ratios with a small numerator the kernel is tabulated per phase.
 */

export interface ResampleOptions {
  /** Zero crossings of the sinc on each side (kernel half-width at the cut-off). Default 24. */
  zeroCrossings?: number;
  /** Cut-off as a fraction of the lower Nyquist rate. Default 0.94. */
  rolloff?: number;
  /** Kaiser window beta. Default 8.6 (about 80 dB stop band). */
  beta?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series). */
function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export function resample(x: ArrayLike<number>, inRate: number, outRate: number, opts: ResampleOptions = {}): Float32Array {
  if (!(Number.isInteger(inRate) && Number.isInteger(outRate) && inRate > 0 && outRate > 0)) {
    throw new RangeError(`sample rates must be positive integers, got ${inRate} -> ${outRate}`);
  }
  if (inRate === outRate) return Float32Array.from(x);
  const zc = opts.zeroCrossings ?? 24;
  const rolloff = opts.rolloff ?? 0.94;
  const beta = opts.beta ?? 8.6;
  const g = gcd(inRate, outRate);
  const up = outRate / g; // output step = down / up input samples
  const down = inRate / g;
  // Cut-off in cycles per input sample (0.5 = input Nyquist).
  const fc = 0.5 * rolloff * Math.min(1, outRate / inRate);
  const half = Math.ceil(zc / (2 * fc)); // kernel half-length in input samples
  const i0beta = besselI0(beta);
  const kernel = (d: number) => {
    const r = d / (half + 1);
    if (r <= -1 || r >= 1) return 0;
    const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
    const a = 2 * Math.PI * fc * d;
    return 2 * fc * (d === 0 ? 1 : Math.sin(a) / a) * w;
  };
  const outLen = Math.floor((x.length * outRate) / inRate);
  const out = new Float32Array(outLen);
  const taps = 2 * half + 2;
  const tabulate = up <= 4096;
  // table[phase][j] = kernel(phase / up + half - j) for input index floor(t) - half + j.
  const table = tabulate ? new Float64Array(up * taps) : null;
  if (table) {
    for (let ph = 0; ph < up; ph++) for (let j = 0; j < taps; j++) table[ph * taps + j] = kernel(ph / up + half - j);
  }
  const n = x.length;
  for (let i = 0; i < outLen; i++) {
    // t = i * down / up in input samples, exactly: integer part and phase.
    const num = i * down;
    const base = Math.floor(num / up);
    const ph = num - base * up;
    const start = base - half;
    let s = 0;
    if (table) {
      const o = ph * taps;
      if (start >= 0 && start + taps <= n) {
        for (let j = 0; j < taps; j++) s += x[start + j] * table[o + j];
      } else {
        for (let j = 0; j < taps; j++) {
          const k = start + j;
          if (k >= 0 && k < n) s += x[k] * table[o + j];
        }
      }
    } else {
      const frac = ph / up;
      for (let j = 0; j < taps; j++) {
        const k = start + j;
        if (k >= 0 && k < n) s += x[k] * kernel(frac + half - j);
      }
    }
    out[i] = s;
  }
  return out;
}
