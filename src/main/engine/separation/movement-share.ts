import type { MediaInfo } from '../media/probe';
import type { Click } from './features';
import { factorSymmetric } from '../metrics/linalg';
import { liftActivity, trackPoints } from './movement';
import { activityAt, type FollowedActivity } from '../stages';

/**
 * The clicked sources' masks shared by how each one moves (movement.ts): where the sound leaves
 * it open whom a time-frequency cell belongs to, the source whose movement explains the cell's
 * level over time takes it. A source moves with its own sound (a player's hands, a speaker's face),
 * so its activity a_k(t) (0..1, from its lift) follows its loudness; a cell's magnitude follows the
 * activity of the source it belongs to. Per model frame t and frequency bin f, over the sources
 * that have a click:
 *
 *   c(f,t)    = argmin over c of  sum_s g(s - t) (|X(f,s)| - sum_k c_k a_k(s))^2 + RIDGE |c|^2,
 *               its negative parts set to 0; s over the frames with any sound whose
 *               movement was followed
 *   r(f,t)    = the part of sum_s g(s - t) |X(f,s)|^2 that c(f,t) leaves unexplained
 *   u         = whichever of t - NEIGHBOUR, t, t + NEIGHBOUR has the least r(f,u)
 *   v_k(f,t)  = c_k(f,u) a_k(t)
 *   H_k(f)    = sum_t |X(f,t)|^2 v_k / sum_j v_j over the window's cells one source holds (some v_k
 *               above DECIDED of sum_j v_j)
 *   R_k(f)    = H_k(f) plus the H_k(f) of the windows before (the last in full, each earlier
 *               one REGISTER_FADE times the one after it), as a share of sum_k R_k(f) (1/n where
 *               no cell is held)
 *   w_k(f,t)  = v_k R_k(f) / sum_j v_j R_j(f) * sum_j v_j / (largest sum_j v_j over the window) + FLOOR
 *   share_k   = M_k w_k / sum_j M_j w_j
 *   doubt(X)  = 1 - (largest X_k - second largest X_k) / sum_j X_j
 *   doubt     = sqrt(open x doubt(A) + (1 - open) x doubt(M))
 *   M'_k      = (1 - doubt) M_k + doubt * share_k * sum_j M_j
 *
 * g is a bell of about half a second (smooth): the fit is local, so a bin of one note follows that
 * note's source, and the next note in the same bin may follow another. |X| is the mixture's
 * magnitude; the fit's scale cancels in w, so the file's level does not matter. When both sources
 * sound at once, the bins still go by whose loudness they rise and fall with: what a weight by
 * activity alone could not tell (it split such cells by the masks). A fit whose bell spans a note
 * change (a player going on to the next note without a gap, as real players do) sees a bin that
 * was silent and then sounds while the player's loudness held: another source that happened to
 * swell then explains it better. The fit of a frame a little earlier or later, whose bell stays on
 * one side of the change, explains the bin best, and the cell takes that one. Where the sources
 * sound together and move alike, the fit cannot tell whose a bin is; R, where each source sounds
 * in frequency over the window (the bins it holds alone, mostly where the others are quiet), then
 * tells it: two players of one instrument mostly keep to their own register. A bin both fill in a
 * fixed proportion leans toward the one that fills it more when it holds it alone: the price of
 * the rule, smaller than its gain (DECIDED below says by how much, and what variants without it gave).
 * A window of 6 s may hear a player only where the other plays too; the windows before it, fading,
 * add where each sounded then (REGISTER_FADE).
 *
 * M are the masks separation uses (the refined ones), A the appearance stage's masks of the same
 * sources (what the sound tells by the clicked things' looks alone; A = M without a refinement),
 * and `open` how much A leaves open over the whole window: the mean of doubt(A) weighted by sum A,
 * to the power OPEN_POWER. Two sources of the same class get the same appearance masks (open near
 * 1): the share takes a cell even where the refinement, which has seen less of the world's variety
 * than the share has of movement, was sure. Two the sound tells apart keep most of the
 * refinement's own doubt. Where the masks decide (doubt near 0) nothing changes. The clicked
 * sources' masks keep their sum, so the residual, and the stems' sum with it, are unchanged.
 *
 * The square root sets how far the share reaches into cells the masks are sure of. The fit tells
 * the sources apart better than the masks the more cells it decides: on the validation split (8
 * clips of each kind, the world's own and held-out timbres, 80 clips) the doubt squared / as it
 * is / its square root / every cell shared gave 11.66 / 12.00 / 12.18 / 12.24 dB. But sharing
 * every cell hands a source's sure cells to the other when its tracker follows the wrong thing (a
 * test-seed clip whose flute's activity rose while it was silent: 13.8 dB with the doubt, 12.0
 * with its square root, 2.8 sharing every cell); the square root keeps most of a sure cell
 * (doubt 0.05 -> 0.22).
 */

/**
 * The fit's reach: three running means of BOX model frames, a bell of sigma 12.5 frames (0.29 s
 * at 11025 Hz, hop 256), long enough to hold a note's rise and fall, short enough for the next
 * note to start afresh. Chosen on validation-split clips (8 each of every scene kind, the world's
 * own and held-out timbres, 80 in all): 19 / 25 / 31 frames gave 11.94 / 12.00 / 11.94 dB against
 * 9.66 for the weight by activity alone (a^2 + 0.005 at each moment, every bin alike).
 */
const BOX = 25;
/** Seconds followed on each side of a range, for its activities' resting line and scale. */
const READ_MARGIN_SEC = 3;
/**
 * How far (model frames, 0.28 s) the fit of another frame may stand in for a cell's own. Chosen on
 * validation-split clips (8 each of the world's own and held-out timbres, 8 of real same-class
 * recordings; 88 clips): 9 / 12 / 15 / 18 frames gave same-class pairs of held-out timbres 14.34
 * / 14.53 / 14.65 / 14.72 dB (13.40 with the fit of the frame itself), real ones 7.90 / 8.21 /
 * 8.51 / 8.70 (7.07), and two speakers 9.02 / 8.97 / 8.89 / 8.82 (9.03): speech changes faster
 * than notes do.
 */
const NEIGHBOUR = 12;
/**
 * A cell one source holds by more than this share of the weights shows where that source sounds.
 * The register per source (R above) was chosen on the validation split through the app path
 * (`bench world-quality --split val`, 6 clips of each kind of the world's own timbres, held-out
 * programs and real recordings, 89 clips): without it / with it 11.39 / 11.75 dB (62 clips higher,
 * 21 lower), every group up but three held-out sources (-0.04), real same-class pairs 11.14 ->
 * 11.68, real three sources 9.51 -> 10.72. Variants that keep a bin both fill split by their parts
 * alone gave less: R read from the coefficients c (not c a) 11.38; R applied in a cell only as far
 * as the sources move alike there (the squared correlation of their activities under the bell, to
 * the power 1 / 0.5 / 0.25) 11.49 / 11.55 / 11.61, or as far as the fit leaves its bin unexplained
 * 11.55. The threshold itself matters little below 0.8: 0.5 / 0.6 / 0.7 / 0.8 / 0.9 gave 11.77 /
 * 11.78 / 11.79 / 11.75 / 11.60 on the same clips.
 */
const DECIDED = 0.8;
/**
 * How the windows before count in a window's register (R above): the last one in full, each
 * earlier one this much of the one after it (windows start 4.46 s apart). Chosen on the validation
 * split through the app path with clips of 20 s (`bench world-quality --split val --seconds 20`,
 * 6 clips of each kind of the world's own timbres, held-out programs and real recordings, 89
 * clips; on 8 s clips a window covers most of the clip): each window on its own / fade 0.5 / every
 * earlier window in full (fade 1) gave 10.86 / 11.08 / 11.09 dB (fade 0.5: 60 clips higher, 8
 * lower, the largest loss 0.39 dB, against 0.72 for fade 1). The fade keeps a long file's register
 * to its last 10 s or so, so players who move to another register later are followed; 20 s clips
 * cannot tell the two apart.
 */
const REGISTER_FADE = 0.5;
/** Keeps the fit finite where a source is still (its activity all 0) or two move alike. */
const RIDGE = 1e-3;
/** A weight's floor, relative to the window's largest: where nothing moves, the masks stay as they are. */
const FLOOR = 1e-3;

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
   * model rate; `appearance`: the appearance stage's masks of the window, null when they are
   * `masks`; `magnitude`: the mixture's magnitude over the window (bins, frames).
   */
  apply(masks: Float32Array, start: number, appearance: Float32Array | null, magnitude: Float32Array): Float32Array;
}

/**
 * The clicked sources' movement as the tracker follows it (movement.ts) over the seconds a
 * separation covers and a little beyond (followedSpan): per query, its activity (0..1 per frame,
 * frame n standing for fromSec + (n + 0.5) / fps seconds into the media), null for one without a
 * click. Read by the share below and, where the refinement reads activities, by the refinement.
 */
export interface FollowedSources {
  fps: number;
  fromSec: number;
  activity: (Float32Array | null)[];
}

/** The span a separation covers: `fromSec` to `toSec` (null: to the end of the media). */
export interface SharedSpan {
  fromSec: number;
  toSec: number | null;
}

/** Follows each click (null for a source without one); null when nothing is clicked or the media has no picture. */
export async function followSources(
  file: string,
  info: MediaInfo,
  clicks: (Click | null)[],
  span: SharedSpan & { signal?: AbortSignal; copy?: string | null },
): Promise<FollowedSources | null> {
  const clicked = clicks.flatMap((c, k) => (c ? [{ k, c }] : []));
  if (clicked.length === 0 || !info.video) return null;
  const { readFrom, readTo } = followedSpan(Math.max(0, span.fromSec), span.toSec, info.durationSec);
  const motion = await trackPoints(
    file,
    info,
    clicked.map((s) => s.c),
    { startSec: readFrom, ...(readTo === null ? {} : { durationSec: Math.max(0.1, readTo - readFrom) }), signal: span.signal, copy: span.copy },
  );
  const activity: (Float32Array | null)[] = clicks.map(() => null);
  clicked.forEach((s, i) => (activity[s.k] = liftActivity(motion.lift[i])));
  return { fps: motion.fps, fromSec: motion.fromSec, activity };
}

/**
 * The share for the followed sources over `span` (the media's seconds the windows cover), or null
 * when fewer than two have a click (nothing to share between) or, over the rest of the file, fewer
 * than two move.
 */
export function movementShare(
  followed: FollowedSources | null,
  model: { sampleRate: number; hop: number; bins: number; frames: number },
  span: SharedSpan,
): MovementShare | null {
  if (!followed) return null;
  const clicked = followed.activity.flatMap((a, k) => (a ? [{ k, a }] : []));
  if (clicked.length < 2) return null;
  const fromSec = Math.max(0, span.fromSec);
  const { toSec } = span;
  const lifted = clicked.map((s) => s.a);
  // Over the rest of the file, a clicked source that never moves was not followed (the tracker lost
  // it) or does not move when it sounds: its movement says nothing, and the share would hand its
  // notes to the others (a real flute pair on validation clips of 20 s: 7.04 dB without the share,
  // 1.52 with it). It keeps its masks; the others share theirs. Over a range it may simply rest.
  const moving = lifted.flatMap((a, i) => (toSec !== null || a.some((v) => v > 0) ? [i] : []));
  if (moving.length < 2) return null;
  const activity = moving.map((i) => lifted[i]);
  const { fps, fromSec: followedFrom } = followed;
  const { bins, frames, hop, sampleRate } = model;
  const followedOf: FollowedActivity[] = activity.map((values) => ({ fps, fromSec: followedFrom, values }));
  /**
   * Activity of shared source i (index in `activity`) at t seconds: linear between its frames;
   * NaN outside the span asked for (the windows reach beyond a range) and past the picture's end.
   */
  const at = (i: number, t: number) => {
    const a = activity[i];
    if (a.length === 0) return 0;
    if (t < fromSec || (toSec !== null && t > toSec) || t > followedFrom + a.length / fps) return NaN;
    return activityAt(followedOf[i], t);
  };
  const sources = moving.map((i) => clicked[i].k);
  // The windows come in order, each once (model-masks.ts).
  const register: RegisterMemory = { held: null };
  return {
    apply(masks, start, appearance, magnitude) {
      const windowActivity = activity.map((_a, i) => Float64Array.from({ length: frames }, (_, j) => at(i, (start + j * hop) / sampleRate)));
      const weights = movementWeights(windowActivity, magnitude, { bins, frames }, register);
      return shareMasks(masks, appearance ?? masks, { bins, frames }, sources, weights);
    },
  };
}

/**
 * x smoothed in place along its length by g: three passes of a centred running mean of BOX
 * frames (a Gaussian's close kin, sigma = sqrt(3 (BOX^2 - 1) / 12), for a few additions per frame
 * whatever its reach), reading 0 beyond both ends. `scratch` holds x.length values.
 */
function smooth(x: Float64Array, scratch: Float64Array): void {
  const n = x.length, r = (BOX - 1) / 2;
  for (let pass = 0; pass < 3; pass++) {
    scratch.set(x);
    let sum = 0;
    for (let u = 0; u < Math.min(n, r); u++) sum += scratch[u];
    for (let t = 0; t < n; t++) {
      if (t + r < n) sum += scratch[t + r];
      if (t - r - 1 >= 0) sum -= scratch[t - r - 1];
      x[t] = sum / BOX;
    }
  }
}

/**
 * The seconds whose movement is followed for the span [fromSec, toSec] (toSec null: to the end):
 * a range a little beyond it, since the activity's resting line and scale, read over a few seconds
 * alone, stray (a source lifted all along never shows its rest). On validation ranges (3 s of 8 s
 * clips, where this covers the clip) 13.53 -> 15.01 dB; the whole file's stems over the same
 * seconds 15.41. The fit still uses only the range's frames.
 */
export function followedSpan(fromSec: number, toSec: number | null, durationSec: number): { readFrom: number; readTo: number | null } {
  if (toSec === null) return { readFrom: fromSec, readTo: null };
  return { readFrom: Math.max(0, fromSec - READ_MARGIN_SEC), readTo: Math.min(durationSec, toSec + READ_MARGIN_SEC) };
}

/**
 * Where each source sounded in the windows before (n, bins): their H, the last in full, the
 * earlier ones faded (R above). `held` is null before the first window.
 */
export interface RegisterMemory {
  held: Float64Array | null;
}

/**
 * Each source's weight w_k(f,t) in every cell (n, bins, frames), from the sources' activities over
 * the window's frames (NaN where a source was not followed) and the mixture's magnitude (bins,
 * frames): the local fit above. With `memory`, the register counts the windows before too, and
 * `memory` then holds this window's part for the next one; without it, the window stands alone.
 */
export function movementWeights(activity: Float64Array[], magnitude: Float32Array, dims: MaskDims, memory?: RegisterMemory): Float32Array {
  const { bins, frames } = dims;
  const n = activity.length;
  // Frames without any sound (the padding of a window past the media's end, digital silence) and
  // frames where the movement was not followed (beyond a range asked for) are left out of the fit:
  // a movement held at its last value there, against a sound that stopped or went on, would give
  // a source's last notes to the others.
  const fitted = new Uint8Array(frames);
  for (let x = 0; x < magnitude.length; x++) if (magnitude[x] > 0) fitted[x % frames] = 1;
  for (let t = 0; t < frames; t++) if (activity.some((a) => !Number.isFinite(a[t]))) fitted[t] = 0;
  const act = activity.map((a) => a.map((v, t) => (fitted[t] ? v : 0)));
  const row = new Float64Array(frames), scratch = new Float64Array(frames);
  // The fit's normal equations share their matrix across bins: per frame, the inverse of
  // g * (a_i a_l) + RIDGE I.
  const products = new Float64Array(n * n * frames);
  for (let i = 0; i < n; i++) {
    for (let l = i; l < n; l++) {
      for (let t = 0; t < frames; t++) row[t] = act[i][t] * act[l][t];
      smooth(row, scratch);
      products.set(row, (i * n + l) * frames);
      if (l !== i) products.set(row, (l * n + i) * frames);
    }
  }
  const inverse = new Float64Array(frames * n * n);
  const unit = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    const matrix = Float64Array.from({ length: n * n }, (_, x) => products[x * frames + t] + (x % (n + 1) === 0 ? RIDGE : 0));
    // The ridge keeps the matrix positive definite, so it always factors.
    const fit = factorSymmetric(matrix, n)!;
    for (let l = 0; l < n; l++) {
      unit.fill(0);
      unit[l] = 1;
      const column = fit.solve(unit);
      for (let i = 0; i < n; i++) inverse[t * n * n + i * n + l] = column[i];
    }
  }
  const weights = new Float32Array(n * bins * frames);
  const rhs = new Float64Array(n * frames); // g * (a_i |X(f, .)|) of one bin
  const power = new Float64Array(frames); // g * |X(f, .)|^2 of one bin
  const fit = new Float64Array(n * frames); // c(f, t) of one bin, source-major
  const unexplained = new Float64Array(frames); // r(f, t) / (g * |X(f, .)|^2)(t)
  const register = new Float64Array(n); // R(f) of one bin
  const next = new Float64Array(n * bins); // what each bin's register passes to the next window
  let largest = 0;
  for (let f = 0; f < bins; f++) {
    const base = f * frames;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < frames; t++) row[t] = act[i][t] * magnitude[base + t];
      smooth(row, scratch);
      rhs.set(row, i * frames);
    }
    for (let t = 0; t < frames; t++) power[t] = fitted[t] ? magnitude[base + t] ** 2 : 0;
    smooth(power, scratch);
    for (let t = 0; t < frames; t++) {
      const inv = t * n * n;
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let l = 0; l < n; l++) c += inverse[inv + i * n + l] * rhs[l * frames + t];
        fit[i * frames + t] = Math.max(0, c);
      }
      // r = g|X|^2 - 2 c.(g a|X|) + c.(g a a').c
      let r = power[t];
      for (let i = 0; i < n; i++) {
        const c = fit[i * frames + t];
        r -= 2 * c * rhs[i * frames + t];
        for (let l = 0; l < n; l++) r += c * products[(i * n + l) * frames + t] * fit[l * frames + t];
      }
      unexplained[t] = power[t] > 0 ? r / power[t] : 0;
    }
    for (let t = 0; t < frames; t++) {
      let u = t;
      if (t - NEIGHBOUR >= 0 && unexplained[t - NEIGHBOUR] < unexplained[u]) u = t - NEIGHBOUR;
      if (t + NEIGHBOUR < frames && unexplained[t + NEIGHBOUR] < unexplained[u]) u = t + NEIGHBOUR;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const w = fit[i * frames + u] * act[i][t];
        weights[cellIndex(dims, i, f, t)] = w;
        total += w;
      }
      if (total > largest) largest = total;
    }
    weighByRegister(weights, magnitude, f, n, dims, register, memory?.held ?? null, next);
  }
  if (memory) memory.held = next;
  for (let x = 0; x < weights.length; x++) weights[x] = (largest > 0 ? weights[x] / largest : 0) + FLOOR;
  return weights;
}

/**
 * Bin f's weights v (n, bins, frames) times R(f), where each source sounds in it over the window
 * and the windows before (`before`: RegisterMemory's `held`, or null); each cell keeps its sum.
 * `register` holds n values; bin f's part of `next` (n, bins) is left holding what it passes to the
 * next window.
 */
function weighByRegister(
  weights: Float32Array,
  magnitude: Float32Array,
  f: number,
  n: number,
  dims: MaskDims,
  register: Float64Array,
  before: Float64Array | null,
  next: Float64Array,
): void {
  const { bins, frames } = dims;
  register.fill(0);
  for (let t = 0; t < frames; t++) {
    let total = 0, top = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[cellIndex(dims, i, f, t)];
      total += w;
      if (w > top) top = w;
    }
    if (total <= 0 || top <= DECIDED * total) continue;
    const energy = magnitude[f * frames + t] ** 2 / total;
    for (let i = 0; i < n; i++) register[i] += energy * weights[cellIndex(dims, i, f, t)];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const earlier = before ? before[i * bins + f] : 0;
    next[i * bins + f] = register[i] + REGISTER_FADE * earlier;
    register[i] += earlier;
    sum += register[i];
  }
  for (let i = 0; i < n; i++) register[i] = sum > 0 ? register[i] / sum : 1 / n;
  for (let t = 0; t < frames; t++) {
    let total = 0, weighed = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[cellIndex(dims, i, f, t)];
      total += w;
      weighed += w * register[i];
    }
    if (weighed <= 0) continue;
    for (let i = 0; i < n; i++) weights[cellIndex(dims, i, f, t)] *= (register[i] * total) / weighed;
  }
}

/**
 * The share itself, in place, on masks (N, bins, frames) (frequency-major per source): among
 * `sources` (indices), with the appearance masks of the same layout (or `masks` themselves) and
 * the sources' weights per cell (sources.length, bins, frames), as movementWeights gives them.
 */
export function shareMasks(
  masks: Float32Array,
  appearance: Float32Array,
  dims: MaskDims,
  sources: number[],
  weights: Float32Array,
): Float32Array {
  const { bins, frames } = dims;
  const open = appearance === masks ? 0 : openness(appearance, dims, sources) ** OPEN_POWER;
  const n = sources.length;
  const m = new Float64Array(n);
  const w = new Float64Array(n);
  // Plain loops, doubt(M) read in the same pass as the sums (a call to doubtOf here cost a third
  // more): this runs on every cell of every window on the thread that writes the stems.
  for (let j = 0; j < frames; j++) {
    for (let f = 0; f < bins; f++) {
      let total = 0, weighted = 0, first = 0, second = 0;
      for (let i = 0; i < n; i++) {
        const v = masks[cellIndex(dims, sources[i], f, j)];
        m[i] = v;
        w[i] = weights[cellIndex(dims, i, f, j)];
        total += v;
        weighted += v * w[i];
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
      doubt = Math.sqrt(Math.max(0, doubt));
      for (let i = 0; i < n; i++) {
        const share = ((m[i] * w[i]) / weighted) * total;
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
