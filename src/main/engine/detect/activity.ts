import type { DetectionFrame } from './speaking';
import type { ObjectKind } from './types';

/**
 * A speaker source's activity over time on real footage, from the face under its click: how much
 * that face speaks at each moment (speaking.ts). The track row shows it, and speakers are told
 * apart by it (separation/activity-share.ts).
 */

/**
 * The track of `kind` whose box holds (x, y) in the frame nearest timeSec that has that kind, if
 * that frame is at most maxGapSec away; the smallest box when several hold the point.
 */
export function trackAt(frames: DetectionFrame[], kind: ObjectKind, x: number, y: number, timeSec: number, maxGapSec = 1): number | null {
  let nearest: DetectionFrame | null = null;
  for (const f of frames) {
    if (!f.objects.some((o) => o.kind === kind)) continue;
    if (!nearest || Math.abs(f.time - timeSec) < Math.abs(nearest.time - timeSec)) nearest = f;
  }
  if (!nearest || Math.abs(nearest.time - timeSec) > maxGapSec) return null;
  const hits = nearest.objects.filter((o) => o.kind === kind && x >= o.box[0] && x <= o.box[2] && y >= o.box[1] && y <= o.box[3]);
  hits.sort((a, b) => (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]) - (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]));
  return hits[0]?.track ?? null;
}

/** The face track whose box holds (x, y) in the detected frame nearest timeSec; the smallest when several do. */
export function faceTrackAt(frames: DetectionFrame[], x: number, y: number, timeSec: number): number | null {
  if (frames.length === 0) return null;
  let nearest = frames[0];
  for (const f of frames) if (Math.abs(f.time - timeSec) < Math.abs(nearest.time - timeSec)) nearest = f;
  return trackAt([nearest], 'face', x, y, nearest.time);
}

/**
 * A value of the object of `track` at each of `times`: linear between its sightings, 0 where it is
 * not seen (more than `maxGapSec` from a sighting) or has no such value.
 */
export function trackValueOver(frames: DetectionFrame[], track: number, times: number[], value: 'speaking' | 'mouth', maxGapSec = 0.5): number[] {
  const points: { time: number; v: number }[] = [];
  for (const f of frames) {
    const o = f.objects.find((x) => x.track === track);
    if (o) points.push({ time: f.time, v: o[value] ?? 0 });
  }
  let i = 0;
  return times.map((t) => {
    while (i + 1 < points.length && points[i + 1].time <= t) i++;
    const a = points[i], b = points[i + 1];
    if (!a) return 0;
    if (t < a.time) return a.time - t <= maxGapSec ? a.v : 0;
    if (!b) return t - a.time <= maxGapSec ? a.v : 0;
    if (b.time - a.time > 2 * maxGapSec) return t - a.time <= maxGapSec ? a.v : b.time - t <= maxGapSec ? b.v : 0;
    const w = (t - a.time) / (b.time - a.time);
    return Math.round(((1 - w) * a.v + w * b.v) * 1e5) / 1e5;
  });
}

/** How much the face of `track` speaks at each of `times` (0..1). */
export const speakingOver = (frames: DetectionFrame[], track: number, times: number[], maxGapSec = 0.5): number[] =>
  trackValueOver(frames, track, times, 'speaking', maxGapSec).map((v) => Math.round(v * 1000) / 1000);

/**
 * Where sound comes from on real footage, as a heatmap over the original frame (rows x cols cells,
 * row-major, cell centres at ((c + 0.5) / cols, (r + 0.5) / rows)): each face's box at how much
 * that face speaks at `timeSec`, the most where faces overlap. The appearance network's heatmaps
 * mean nothing on real pictures; a speaking face is what the user is looking for there.
 */
export function speakingHeat(frames: DetectionFrame[], timeSec: number, rows: number, cols: number, maxGapSec = 0.5): Float32Array {
  const out = new Float32Array(rows * cols);
  if (frames.length === 0) return out;
  let nearest = frames[0];
  for (const f of frames) if (Math.abs(f.time - timeSec) < Math.abs(nearest.time - timeSec)) nearest = f;
  if (Math.abs(nearest.time - timeSec) > maxGapSec) return out;
  for (const o of nearest.objects) {
    if (o.kind !== 'face') continue;
    const v = speakingOver(frames, o.track, [timeSec], maxGapSec)[0];
    if (v <= 0) continue;
    const [x0, y0, x1, y1] = o.box;
    for (let r = 0; r < rows; r++) {
      const y = (r + 0.5) / rows;
      if (y < y0 || y > y1) continue;
      for (let c = 0; c < cols; c++) {
        const x = (c + 0.5) / cols;
        if (x >= x0 && x <= x1) out[r * cols + c] = Math.max(out[r * cols + c], v);
      }
    }
  }
  return out;
}

