import type { Spectrogram } from './stft';

/**
 * Time-frequency masks: (nBins x nFrames) Float32Arrays, frequency-major like stft.ts, values 0..1.
 * Stems are mask * mixture STFT; completeMasks adds a residual so that the masks sum to exactly 1
 * in every bin, which (iSTFT being linear) makes all stems sum back to the mixture.
 */

export interface MaskGrid {
  nBins: number;
  nFrames: number;
  /** Hz between bins: sampleRate / nFft. */
  binHz: number;
  /** Seconds between frames: hop / sampleRate (frame t is centred at t * hopSec with center=true). */
  hopSec: number;
}

export function gridOf(spec: Pick<Spectrogram, 'nBins' | 'nFrames' | 'nFft' | 'hop'>, sampleRate: number): MaskGrid {
  return { nBins: spec.nBins, nFrames: spec.nFrames, binHz: sampleRate / spec.nFft, hopSec: spec.hop / sampleRate };
}

/** mask * spec (complex times real), as a new spectrogram. */
export function applyMask(spec: Spectrogram, mask: ArrayLike<number>): Spectrogram {
  if (mask.length !== spec.re.length) throw new RangeError(`mask has ${mask.length} values, spectrogram ${spec.re.length}`);
  const re = new Float32Array(spec.re.length);
  const im = new Float32Array(spec.im.length);
  for (let i = 0; i < re.length; i++) {
    re[i] = spec.re[i] * mask[i];
    im[i] = spec.im[i] * mask[i];
  }
  return { ...spec, re, im };
}

export type MaskMode = 'soft' | 'binary';

/**
 * Given N source masks, return N + 1 masks (sources then residual) that sum to 1 in every bin.
 * soft: masks are kept, scaled down where their sum exceeds 1; the residual takes the rest.
 * binary: each bin goes wholly to the strongest source if its mask exceeds `threshold`, else to
 * the residual.
 */
export function completeMasks(masks: ArrayLike<number>[], mode: MaskMode = 'soft', threshold = 0.5): Float32Array[] {
  if (masks.length === 0) throw new RangeError('need at least one mask');
  const n = masks[0].length;
  for (const m of masks) if (m.length !== n) throw new RangeError('masks must have the same size');
  const out = Array.from({ length: masks.length + 1 }, () => new Float32Array(n));
  const residual = out[masks.length];
  for (let i = 0; i < n; i++) {
    if (mode === 'binary') {
      let best = -1, bestV = threshold;
      for (let s = 0; s < masks.length; s++) {
        const v = masks[s][i];
        if (v > bestV) {
          bestV = v;
          best = s;
        }
      }
      out[best < 0 ? masks.length : best][i] = 1;
    } else {
      let sum = 0;
      for (let s = 0; s < masks.length; s++) sum += Math.min(1, Math.max(0, masks[s][i]));
      const scale = sum > 1 ? 1 / sum : 1;
      let used = 0;
      for (let s = 0; s < masks.length; s++) {
        const v = Math.min(1, Math.max(0, masks[s][i])) * scale;
        out[s][i] = v;
        used += v;
      }
      residual[i] = Math.max(0, 1 - used);
    }
  }
  return out;
}

/**
 * Bilinear interpolation of a mask from one STFT grid to another by physical position (Hz,
 * seconds), e.g. from the models' 11025 Hz grid to a channel's full-rate STFT. Outside the source
 * grid the nearest edge value is held (above the models' 5512.5 Hz the top bin's mask applies).
 */
export function interpolateMask(mask: ArrayLike<number>, from: MaskGrid, to: MaskGrid): Float32Array {
  if (mask.length !== from.nBins * from.nFrames) throw new RangeError(`mask has ${mask.length} values, grid ${from.nBins} x ${from.nFrames}`);
  const out = new Float32Array(to.nBins * to.nFrames);
  // Source frame coordinates for each target frame, computed once.
  const t0 = new Int32Array(to.nFrames), t1 = new Int32Array(to.nFrames), tw = new Float32Array(to.nFrames);
  for (let t = 0; t < to.nFrames; t++) {
    const p = Math.min(Math.max((t * to.hopSec) / from.hopSec, 0), from.nFrames - 1);
    t0[t] = Math.floor(p);
    t1[t] = Math.min(t0[t] + 1, from.nFrames - 1);
    tw[t] = p - t0[t];
  }
  for (let f = 0; f < to.nBins; f++) {
    const q = Math.min(Math.max((f * to.binHz) / from.binHz, 0), from.nBins - 1);
    const f0 = Math.floor(q), f1 = Math.min(f0 + 1, from.nBins - 1), fw = q - f0;
    const a = f0 * from.nFrames, b = f1 * from.nFrames, o = f * to.nFrames;
    for (let t = 0; t < to.nFrames; t++) {
      const lo = (1 - tw[t]) * mask[a + t0[t]] + tw[t] * mask[a + t1[t]];
      const hi = (1 - tw[t]) * mask[b + t0[t]] + tw[t] * mask[b + t1[t]];
      out[o + t] = (1 - fw) * lo + fw * hi;
    }
  }
  return out;
}
