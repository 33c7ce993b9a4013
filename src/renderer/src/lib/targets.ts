/**
 * Click targets on real footage: the faces and people the analysis followed over time, placed on
 * the picture as it is shown. Boxes are 0..1 of the ORIGINAL frame from its top-left; the video
 * element shows that frame letterboxed or pillarboxed (object-fit: contain), so a box lands at
 * the displayed picture's rectangle plus its share of it.
 */
import type { DetectionTrack, DetectionsView } from '../../../shared/contract';

export type Box = [number, number, number, number];

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The rectangle a video of vw x vh shows in a box of boxW x boxH with object-fit: contain. */
export function displayedRect(boxW: number, boxH: number, vw: number, vh: number): Rect | null {
  if (!(vw > 0 && vh > 0 && boxW > 0 && boxH > 0)) return null;
  const scale = Math.min(boxW / vw, boxH / vh);
  const width = vw * scale, height = vh * scale;
  return { left: (boxW - width) / 2, top: (boxH - height) / 2, width, height };
}

/** A box of the original frame in pixels of the element showing it. */
export function boxOnScreen(box: Box, shown: Rect): Rect {
  return { left: shown.left + box[0] * shown.width, top: shown.top + box[1] * shown.height, width: (box[2] - box[0]) * shown.width, height: (box[3] - box[1]) * shown.height };
}

export interface Target {
  track: number;
  kind: 'face' | 'person';
  box: Box;
  /** Faces: speaking 0..1 at this time. */
  speaking: number;
}

/**
 * The track's box at time t: between two sightings it moves linearly; before the first and after
 * the last it stays for half the usual gap between sightings; across a longer gap (the object was
 * not seen) there is none.
 */
export function boxAt(track: DetectionTrack, t: number, fps: number): { box: Box; speaking: number } | null {
  const { times, boxes } = track;
  const n = times.length;
  if (n === 0) return null;
  // People are looked for less often than faces: their usual gap is their own median spacing.
  const gaps = times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b);
  const step = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)] : 1 / fps;
  const hold = Math.max(step, 1 / fps) / 2 + 1e-6;
  if (t < times[0] - hold || t > times[n - 1] + hold) return null;
  let i = 0;
  while (i + 1 < n && times[i + 1] <= t) i++;
  const speakingAt = (k: number) => track.speaking?.[k] ?? 0;
  if (t <= times[0]) return { box: boxes[0], speaking: speakingAt(0) };
  if (i === n - 1) return { box: boxes[i], speaking: speakingAt(i) };
  const gap = times[i + 1] - times[i];
  if (gap > 2.5 * step + 1e-6) {
    // Not seen in between: only near either sighting.
    if (t - times[i] <= hold) return { box: boxes[i], speaking: speakingAt(i) };
    if (times[i + 1] - t <= hold) return { box: boxes[i + 1], speaking: speakingAt(i + 1) };
    return null;
  }
  const w = (t - times[i]) / gap;
  const a = boxes[i], b = boxes[i + 1];
  return { box: [0, 1, 2, 3].map((k) => a[k] + w * (b[k] - a[k])) as Box, speaking: (1 - w) * speakingAt(i) + w * speakingAt(i + 1) };
}

/** The faces and people on screen at time t (hands are part of a person, not targets of their own). */
export function targetsAt(d: DetectionsView | null, t: number): Target[] {
  if (!d) return [];
  const out: Target[] = [];
  for (const track of d.tracks) {
    if (track.kind === 'hand') continue;
    const at = boxAt(track, t, d.fps);
    if (at) out.push({ track: track.track, kind: track.kind, box: at.box, speaking: at.speaking });
  }
  return out;
}

const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);

/** The target under a point (0..1 of the frame): a face before the person around it, else the smallest. */
export function targetAt(targets: Target[], x: number, y: number): Target | null {
  const hits = targets.filter((g) => x >= g.box[0] && x <= g.box[2] && y >= g.box[1] && y <= g.box[3]);
  hits.sort((a, b) => (a.kind === b.kind ? area(a.box) - area(b.box) : a.kind === 'face' ? -1 : 1));
  return hits[0] ?? null;
}

/** Centre of a box. */
export function centre(box: Box): { x: number; y: number } {
  return { x: (box[0] + box[2]) / 2, y: (box[1] + box[3]) / 2 };
}

/** The track's path over the whole clip: its box centres, as SVG polyline points in 0..100 units. */
export function trackPath(track: DetectionTrack): string {
  return track.boxes.map((b) => centre(b)).map((p) => `${(p.x * 100).toFixed(2)},${(p.y * 100).toFixed(2)}`).join(' ');
}
