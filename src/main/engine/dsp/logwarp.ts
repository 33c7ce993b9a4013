/**
 * Sound of Pixels' log-frequency warp (512 linear bins -> 256 log-spaced bins) and its inverse, as
 * training/audio.py defines them (warp_matrix / unwarp_matrix), i.e. SoP's `warpgrid` sampled by
 * F.grid_sample(..., align_corners=True): identity along time, linear interpolation along frequency.
 *
 *   warp:   out[i] = lerp(in, pos(i)),   pos(i) = (nIn - 1) * (21^(i / (nOut - 1)) - 1) / 20,  i = 0..nOut-1
 *   unwarp: lin[f] = lerp(warped, q(f)), q(f)   = (nOut - 1) * ln(1 + 20 f / (nIn - 1)) / ln(21), f = 0..nIn-1
 *   lerp(x, p) = (1 - (p - floor p)) * x[floor p] + (p - floor p) * x[min(floor p + 1, n - 1)]
 *
 * (In SoP's terms: grid y = (21^((v+1)/2) - 11) / 10 for v = linspace(-1, 1, nOut), and
 * align_corners=True maps y in [-1, 1] to input row (y + 1) / 2 * (nIn - 1); the two agree.)
 * Arrays are frequency-major (bin * nFrames + frame), like stft.ts.
 */

export const WARP_BASE = 21;

/** Input bin position sampled by each warped row. */
export function warpPositions(nIn = 512, nOut = 256): Float64Array {
  const p = new Float64Array(nOut);
  for (let i = 0; i < nOut; i++) p[i] = ((nIn - 1) * (Math.pow(WARP_BASE, i / (nOut - 1)) - 1)) / (WARP_BASE - 1);
  return p;
}

/** Warped row position sampled by each linear bin (inverse of warpPositions). */
export function unwarpPositions(nIn = 512, nOut = 256): Float64Array {
  const q = new Float64Array(nIn);
  for (let f = 0; f < nIn; f++) q[f] = ((nOut - 1) * Math.log1p(((WARP_BASE - 1) * f) / (nIn - 1))) / Math.log(WARP_BASE);
  return q;
}

/** Resample rows of a (rows x nFrames) array at fractional row positions. */
function sampleRows(src: ArrayLike<number>, rows: number, nFrames: number, positions: Float64Array): Float32Array {
  if (src.length !== rows * nFrames) throw new RangeError(`expected ${rows} x ${nFrames} values, got ${src.length}`);
  const out = new Float32Array(positions.length * nFrames);
  for (let i = 0; i < positions.length; i++) {
    const p = Math.min(Math.max(positions[i], 0), rows - 1);
    const lo = Math.floor(p);
    const hi = Math.min(lo + 1, rows - 1);
    const w = p - lo;
    const o = i * nFrames, a = lo * nFrames, b = hi * nFrames;
    for (let t = 0; t < nFrames; t++) out[o + t] = (1 - w) * src[a + t] + w * src[b + t];
  }
  return out;
}

/** (nIn x nFrames) linear-frequency magnitude -> (nOut x nFrames) log-frequency. */
export function logWarp(mag: ArrayLike<number>, nFrames: number, nIn = 512, nOut = 256): Float32Array {
  return sampleRows(mag, nIn, nFrames, warpPositions(nIn, nOut));
}

/** (nOut x nFrames) log-frequency mask -> (nIn x nFrames) linear frequency. */
export function logUnwarp(mask: ArrayLike<number>, nFrames: number, nIn = 512, nOut = 256): Float32Array {
  return sampleRows(mask, nOut, nFrames, unwarpPositions(nIn, nOut));
}
