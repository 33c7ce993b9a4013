import type { DetectedObject, ObjectKind } from './types';

/**
 * Follows detections over time: each detection joins the track of the same kind whose last box
 * overlaps it most (intersection over union, greedy, best pairs first), if that track was seen
 * recently; otherwise it starts a new track. Track numbers are unique across kinds.
 */

export interface TrackedObject extends DetectedObject {
  track: number;
}

export interface TrackerOptions {
  /** Least overlap to continue a track (default 0.3). */
  minIou?: number;
  /** A track not seen for longer than this (seconds) is closed (default 1.5), per kind if need be. */
  maxGapSec?: number | Partial<Record<ObjectKind, number>>;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

interface Track {
  id: number;
  kind: ObjectKind;
  box: readonly number[];
  lastSec: number;
}

export class IouTracker {
  private readonly tracks: Track[] = [];
  private next = 1;
  private readonly minIou: number;
  private readonly maxGapSec: (kind: ObjectKind) => number;

  constructor(opts: TrackerOptions = {}) {
    this.minIou = opts.minIou ?? 0.3;
    const gap = opts.maxGapSec ?? 1.5;
    this.maxGapSec = typeof gap === 'number' ? () => gap : (kind) => gap[kind] ?? 1.5;
  }

  /** Assign track numbers to one frame's detections (frames in time order). */
  update(timeSec: number, objects: DetectedObject[]): TrackedObject[] {
    const live = this.tracks.filter((t) => timeSec - t.lastSec <= this.maxGapSec(t.kind));
    const pairs: { o: number; t: Track; overlap: number }[] = [];
    objects.forEach((obj, o) => {
      for (const t of live) {
        if (t.kind !== obj.kind) continue;
        const overlap = iou(obj.box, t.box);
        if (overlap >= this.minIou) pairs.push({ o, t, overlap });
      }
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const assigned = new Map<number, number>();
    const taken = new Set<Track>();
    for (const p of pairs) {
      if (assigned.has(p.o) || taken.has(p.t)) continue;
      assigned.set(p.o, p.t.id);
      taken.add(p.t);
      p.t.box = objects[p.o].box;
      p.t.lastSec = timeSec;
    }
    return objects.map((obj, o) => {
      let id = assigned.get(o);
      if (id === undefined) {
        id = this.next++;
        this.tracks.push({ id, kind: obj.kind, box: obj.box, lastSec: timeSec });
      }
      return { ...obj, track: id };
    });
  }
}
