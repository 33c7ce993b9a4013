import FFTJS from 'fft.js';

/**
 * FFTs of any length. Powers of two go straight to fft.js (radix-4); other lengths (such as the
 * 1022-point frames of the models) use Bluestein's algorithm: the DFT becomes a circular
 * convolution of length M = nextPow2(2n - 1) with a chirp whose spectrum is computed once per plan.
 *
 * Arrays are interleaved complex Float64Arrays: [re0, im0, re1, im1, ...].
 */

export function isPowerOfTwo(n: number): boolean {
  return n > 1 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let m = 2;
  while (m < n) m *= 2;
  return m;
}

type Transform = (input: Float64Array, output: Float64Array) => void;

/** Complex DFT plan of length n (n >= 1). Not re-entrant: one plan per thread of work. */
export class ComplexFFT {
  readonly n: number;
  private readonly fwd: Transform;
  private readonly scratch: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${n}`);
    this.n = n;
    this.scratch = new Float64Array(2 * n);
    if (n === 1) {
      this.fwd = (i, o) => {
        o[0] = i[0];
        o[1] = i[1];
      };
    } else if (isPowerOfTwo(n)) {
      const f = new FFTJS(n);
      this.fwd = (i, o) => f.transform(o, i);
    } else {
      this.fwd = bluestein(n);
    }
  }

  /** output[k] = sum_j input[j] exp(-2 pi i jk / n). input and output must differ. */
  forward(input: Float64Array, output: Float64Array): void {
    this.fwd(input, output);
  }

  /** output[j] = (1/n) sum_k input[k] exp(+2 pi i jk / n), via conj(F(conj(x))) / n. */
  inverse(input: Float64Array, output: Float64Array): void {
    const n = this.n;
    const s = this.scratch;
    for (let k = 0; k < 2 * n; k += 2) {
      s[k] = input[k];
      s[k + 1] = -input[k + 1];
    }
    this.fwd(s, output);
    const inv = 1 / n;
    for (let k = 0; k < 2 * n; k += 2) {
      output[k] *= inv;
      output[k + 1] *= -inv;
    }
  }
}

function bluestein(n: number): Transform {
  const m = nextPowerOfTwo(2 * n - 1);
  const f = new FFTJS(m);
  // chirp[k] = exp(-i pi k^2 / n); k^2 is reduced mod 2n first so the angle stays exact.
  const chirp = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const angle = (-Math.PI * ((k * k) % (2 * n))) / n;
    chirp[2 * k] = Math.cos(angle);
    chirp[2 * k + 1] = Math.sin(angle);
  }
  const b = new Float64Array(2 * m);
  for (let k = 0; k < n; k++) {
    b[2 * k] = chirp[2 * k];
    b[2 * k + 1] = -chirp[2 * k + 1];
    if (k > 0) {
      b[2 * (m - k)] = chirp[2 * k];
      b[2 * (m - k) + 1] = -chirp[2 * k + 1];
    }
  }
  const bSpec = new Float64Array(2 * m);
  f.transform(bSpec, b);
  const a = new Float64Array(2 * m);
  const aSpec = new Float64Array(2 * m);
  return (input, output) => {
    for (let k = 0; k < n; k++) {
      const xr = input[2 * k], xi = input[2 * k + 1];
      const cr = chirp[2 * k], ci = chirp[2 * k + 1];
      a[2 * k] = xr * cr - xi * ci;
      a[2 * k + 1] = xr * ci + xi * cr;
    }
    a.fill(0, 2 * n);
    f.transform(aSpec, a);
    for (let k = 0; k < 2 * m; k += 2) {
      const ar = aSpec[k], ai = aSpec[k + 1];
      const br = bSpec[k], bi = bSpec[k + 1];
      aSpec[k] = ar * br - ai * bi;
      aSpec[k + 1] = ar * bi + ai * br;
    }
    f.inverseTransform(a, aSpec);
    for (let k = 0; k < n; k++) {
      const yr = a[2 * k], yi = a[2 * k + 1];
      const cr = chirp[2 * k], ci = chirp[2 * k + 1];
      output[2 * k] = yr * cr - yi * ci;
      output[2 * k + 1] = yr * ci + yi * cr;
    }
  };
}

/**
 * Real FFTs of length n, two at a time: frames x1, x2 are packed as x1 + i*x2 into one complex
 * FFT and separated using Hermitian symmetry. Half spectra hold bins = floor(n/2) + 1 complex
 * values, interleaved.
 */
export class RealFFT {
  readonly n: number;
  readonly bins: number;
  private readonly plan: ComplexFFT;
  private readonly z: Float64Array;
  private readonly zSpec: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.bins = Math.floor(n / 2) + 1;
    this.plan = new ComplexFFT(n);
    this.z = new Float64Array(2 * n);
    this.zSpec = new Float64Array(2 * n);
  }

  /** Spectra of real x1 and (optionally) x2, each of length >= n (first n samples used). */
  forward2(x1: ArrayLike<number>, x2: ArrayLike<number> | null, out1: Float64Array, out2: Float64Array | null): void {
    const { n, z, zSpec } = this;
    for (let j = 0; j < n; j++) {
      z[2 * j] = x1[j];
      z[2 * j + 1] = x2 ? x2[j] : 0;
    }
    this.plan.forward(z, zSpec);
    for (let k = 0; k < this.bins; k++) {
      const nk = k === 0 ? 0 : n - k;
      const a = zSpec[2 * k], b = zSpec[2 * k + 1];
      const c = zSpec[2 * nk], d = zSpec[2 * nk + 1];
      out1[2 * k] = 0.5 * (a + c);
      out1[2 * k + 1] = 0.5 * (b - d);
      if (out2) {
        out2[2 * k] = 0.5 * (b + d);
        out2[2 * k + 1] = 0.5 * (c - a);
      }
    }
  }

  /**
   * Inverse of forward2 (scaled by 1/n, like numpy.fft.irfft). The imaginary parts of the DC and
   * (for even n) Nyquist bins are ignored, as irfft does.
   */
  inverse2(spec1: Float64Array, spec2: Float64Array | null, out1: Float64Array, out2: Float64Array | null): void {
    const { n, bins, z, zSpec } = this;
    const evenN = n % 2 === 0;
    for (let k = 0; k < n; k++) {
      let r1: number, i1: number, r2: number, i2: number;
      if (k < bins) {
        r1 = spec1[2 * k];
        i1 = spec1[2 * k + 1];
        r2 = spec2 ? spec2[2 * k] : 0;
        i2 = spec2 ? spec2[2 * k + 1] : 0;
        if (k === 0 || (evenN && k === n / 2)) {
          i1 = 0;
          i2 = 0;
        }
      } else {
        const m = n - k;
        r1 = spec1[2 * m];
        i1 = -spec1[2 * m + 1];
        r2 = spec2 ? spec2[2 * m] : 0;
        i2 = spec2 ? -spec2[2 * m + 1] : 0;
      }
      zSpec[2 * k] = r1 - i2;
      zSpec[2 * k + 1] = i1 + r2;
    }
    this.plan.inverse(zSpec, z);
    for (let j = 0; j < n; j++) {
      out1[j] = z[2 * j];
      if (out2) out2[j] = z[2 * j + 1];
    }
  }
}
