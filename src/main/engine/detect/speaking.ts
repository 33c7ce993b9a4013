import { speechBetween, type SpeechActivity } from './speech';
import type { TrackedObject } from './track';

/**
 * The active speaker: how far each face's mouth moves along with the speech in the audio (the
 * audio-visual agreement DMMAN learns, here measured directly). For face track k at time t:
 *   mouth activity a_k(t) = mean opening above the face's resting opening + mean frame-to-frame
 *                           change of the opening, over a window around t,
 *   speech s(t)           = mean speech probability over the same window,
 *   agreement q_k         = how a_k and s rise and fall together over the whole track
 *                           (Pearson correlation; 1 when speech never changes, so there is no evidence),
 *   speaking_k(t)         = s(t) * m_k(t) * q_k, with m_k(t) = a_k(t) scaled from A_STILL (0) to A_TALK (1).
 * A face that keeps still while someone speaks scores near 0; so does a moving mouth in silence.
 */

export interface DetectionFrame {
  time: number;
  objects: (TrackedObject & { speaking?: number })[];
}

/**
 * Mouth activity (opening units, see DetectedObject.mouth) of a still face: the mesh jitters by a
 * pixel or so (measured 0.03-0.05 on a still photo's face) ...
 */
const A_STILL = 0.05;
/** ... and of clear speech (0.25-0.45 on a face opening its mouth a third of its width). */
const A_TALK = 0.2;
/** Window around each frame, seconds. */
const WINDOW_SEC = 1;
const RESTING_QUANTILE = 0.1;

/** The q-quantile (0..1) of values, by rank. */
export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export function pearson(a: number[], b: number[]): number | null {
  const n = a.length;
  if (n < 4) return null;
  const ma = a.reduce((x, y) => x + y, 0) / n, mb = b.reduce((x, y) => x + y, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  if (saa < 1e-9 || sbb < 1e-9) return null;
  return sab / Math.sqrt(saa * sbb);
}

/** Adds `speaking` (0..1) to every face that has a mouth opening; returns the same frames. */
export function addSpeaking(frames: DetectionFrame[], speech: SpeechActivity): DetectionFrame[] {
  const byTrack = new Map<number, { time: number; mouth: number; obj: DetectionFrame['objects'][number] }[]>();
  for (const f of frames) {
    for (const o of f.objects) {
      if (o.kind !== 'face' || o.mouth === undefined) continue;
      let list = byTrack.get(o.track);
      if (!list) byTrack.set(o.track, (list = []));
      list.push({ time: f.time, mouth: o.mouth, obj: o });
    }
  }
  const half = WINDOW_SEC / 2;
  for (const points of byTrack.values()) {
    const rest = quantile(points.map((p) => p.mouth), RESTING_QUANTILE);
    const activity: number[] = [];
    const speechLevel: number[] = [];
    let lo = 0, hi = 0;
    for (let i = 0; i < points.length; i++) {
      const t = points[i].time;
      while (points[lo].time < t - half) lo++;
      while (hi + 1 < points.length && points[hi + 1].time <= t + half) hi++;
      let open = 0, change = 0;
      for (let j = lo; j <= hi; j++) {
        open += points[j].mouth - rest;
        if (j > lo) change += Math.abs(points[j].mouth - points[j - 1].mouth);
      }
      activity.push(open / (hi - lo + 1) + (hi > lo ? change / (hi - lo) : 0));
      speechLevel.push(speechBetween(speech, t - half, t + half));
    }
    const r = pearson(activity, speechLevel);
    const agreement = r === null ? 1 : Math.min(1, Math.max(0, 0.5 + r));
    points.forEach((p, i) => {
      p.obj.speaking = speechLevel[i] * Math.min(1, Math.max(0, (activity[i] - A_STILL) / (A_TALK - A_STILL))) * agreement;
    });
  }
  return frames;
}
