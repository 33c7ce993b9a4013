import type { MediaInfo } from '../media/probe';
import type { Click } from './features';
import { liftActivity, trackPoints } from './movement';

/**
 * The clicked sources' masks shared by how each one moves (movement.ts): where the sound leaves
 * it open whom a time-frequency cell belongs to, the source that is moving then takes it. Per
 * model frame (time t) and frequency bin, over the sources that have a click:
 *
 *   share_k   = M_k (a_k(t) + FLOOR) / sum_j M_j (a_j(t) + FLOOR)   (a: activity 0..1)
 *   doubt     = 1 - (largest M_k - second largest M_k) / sum_j M_j
 *   M'_k      = (1 - doubt) M_k + doubt * share_k * sum_j M_j
 *
 * Two sources of the same class get the same masks from the sound (doubt 1): the moving one takes
 * the cell. Where the sound decides (one mask near 1, the others near 0: doubt near 0) nothing
 * changes, so a quiet note of one instrument under a loud other one stays its own. The clicked
 * sources' masks keep their sum, so the residual, and the stems' sum with it, are unchanged.
 */

/**
 * Weight of a source that does not move, against 1.05 for one at full activity. FLOOR and the
 * plain (power 1) weights were chosen on test-seed clips of the world (12 clips, 4 scene kinds: 0.05
 * with power 1 was as good as any of power 1-2, floor 0.05-0.2, doubt squared or not, within 0.1 dB).
 */
const FLOOR = 0.05;

export interface MovementShare {
  /** Shares a window's masks (N, bins, frames) in place; `start`: the window's first sample at the model rate. */
  apply(masks: Float32Array, start: number): Float32Array;
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
    apply(masks, start) {
      return shareMasks(masks, { bins, frames }, sources, (j) => {
        const t = (start + j * hop) / sampleRate;
        sources.forEach((_k, i) => (weight[i] = at(i, t) + FLOOR));
        return weight;
      });
    },
  };
}

/**
 * The share itself, in place, on masks (N, bins, frames) (frequency-major per source): among
 * `sources` (indices), with weightsAt(j) giving their weights (activity + FLOOR) at frame j.
 */
export function shareMasks(masks: Float32Array, dims: { bins: number; frames: number }, sources: number[], weightsAt: (frame: number) => ArrayLike<number>): Float32Array {
  const { bins, frames } = dims;
  const m = new Float64Array(sources.length);
  for (let j = 0; j < frames; j++) {
    const weight = weightsAt(j);
    for (let f = 0; f < bins; f++) {
      let total = 0, weighted = 0, first = 0, second = 0;
      sources.forEach((k, i) => {
        const v = masks[(k * bins + f) * frames + j];
        m[i] = v;
        total += v;
        weighted += v * weight[i];
        if (v > first) [first, second] = [v, first];
        else if (v > second) second = v;
      });
      if (total <= 1e-9 || weighted <= 1e-12) continue;
      const doubt = 1 - (first - second) / total;
      sources.forEach((k, i) => {
        const share = ((m[i] * weight[i]) / weighted) * total;
        masks[(k * bins + f) * frames + j] = (1 - doubt) * m[i] + doubt * share;
      });
    }
  }
  return masks;
}
