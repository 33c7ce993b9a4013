import type { DetectionFrame } from './speaking';

/**
 * A speaker source's activity over time from its face: the face under the source's click (at the
 * click's time) and how much that face speaks at each moment (speaking.ts), for the track row;
 * speakers asked for alike are told apart by it (separation/activity-share.ts).
 */

/** The face track whose box holds (x, y) in the detected frame nearest timeSec; the smallest when several do. */
export function faceTrackAt(frames: DetectionFrame[], x: number, y: number, timeSec: number): number | null {
  if (frames.length === 0) return null;
  let nearest = frames[0];
  for (const f of frames) if (Math.abs(f.time - timeSec) < Math.abs(nearest.time - timeSec)) nearest = f;
  const hits = nearest.objects.filter((o) => o.kind === 'face' && x >= o.box[0] && x <= o.box[2] && y >= o.box[1] && y <= o.box[3]);
  hits.sort((a, b) => (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]) - (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]));
  return hits[0]?.track ?? null;
}

/**
 * How much the face of `track` speaks at each of `times` (0..1): linear between its sightings, 0
 * where it is not seen (more than `maxGapSec` from a sighting).
 */
export function speakingOver(frames: DetectionFrame[], track: number, times: number[], maxGapSec = 0.5): number[] {
  const points: { time: number; v: number }[] = [];
  for (const f of frames) {
    const o = f.objects.find((x) => x.track === track);
    if (o) points.push({ time: f.time, v: o.speaking ?? 0 });
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
    return Math.round(((1 - w) * a.v + w * b.v) * 1000) / 1000;
  });
}

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
