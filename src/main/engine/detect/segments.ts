import { Cancelled } from '../../../shared/errors';
import { openFrames } from '../media/frames';
import { toOriginal } from '../media/geometry';
import type { MediaInfo } from '../media/probe';
import type { DetectedObject, Detector } from './types';

/**
 * The frame loop of the picture front end: a stretch of a clip (a segment) decoded at the
 * detection rate and run through a detector, boxes mapped to the original frame. A clip is cut
 * into segments that run side by side (pool.ts); the findings do not depend on the cut: every
 * REFRESH_EVERY-th frame of the clip (and every frame that looks for people and hands) is taken
 * on its own, the frames in between only follow what it found, and segments start on such frames.
 */

/** Every this many frames the detector searches afresh (faces are followed by their meshes in between). */
export const REFRESH_EVERY = 4;

export interface SegmentRequest {
  file: string;
  info: MediaInfo;
  /** The frame size the detector sees (detectorFrameSize). */
  width: number;
  height: number;
  fps: number;
  /** Index in the clip of the segment's first frame (at first / fps seconds), and how many frames; null: to the end. */
  first: number;
  count: number | null;
  /** Frames whose index is a multiple of this also look for people (and hands, see handEvery). */
  fullEvery: number;
  /** Frames whose index is a multiple of this (a multiple of fullEvery) look for hands too (default fullEvery). */
  handEvery?: number;
  /** Every frame on its own (frames far apart, as when looking at a few frames of a clip). */
  independent?: boolean;
}

/** One analysed frame: its index in the clip, its time, what was found (boxes 0..1 of the original frame). */
export interface FoundFrame {
  index: number;
  time: number;
  objects: DetectedObject[];
}

export async function* detectSegment(detector: Detector, req: SegmentRequest, signal?: AbortSignal): AsyncGenerator<FoundFrame> {
  const { width, height, fps, first, count } = req;
  if (count === 0) return;
  const stream = await openFrames(req.file, {
    width,
    height,
    fps,
    info: req.info,
    signal,
    ...(first > 0 ? { startSec: first / fps } : {}),
    // Half a frame more than needed: the frames come out whole whatever the rounding.
    ...(count === null ? {} : { durationSec: (count + 0.5) / fps }),
  });
  const g = stream.geometry;
  // Boxes from the detector's frame to the original frame, 0..1 (undoing any letterbox padding).
  const toFrame = (b: DetectedObject['box']): DetectedObject['box'] => {
    const p0 = toOriginal(g, { x: b[0] * width, y: b[1] * height });
    const p1 = toOriginal(g, { x: b[2] * width, y: b[3] * height });
    const c = (x: number) => Math.min(1, Math.max(0, x));
    return [c(p0.x / g.srcWidth), c(p0.y / g.srcHeight), c(p1.x / g.srcWidth), c(p1.y / g.srcHeight)];
  };
  let n = 0;
  for await (const f of stream.frames) {
    if (signal?.aborted) throw new Cancelled();
    const index = first + f.index;
    const { full, hands } = frameWork(index, req);
    const independent = req.independent || n === 0 || full || index % REFRESH_EVERY === 0;
    const found = await detector.detect({ width, height, rgb: f.pixels }, { full, hands, independent });
    yield { index, time: index / fps, objects: found.map((o) => ({ ...o, box: toFrame(o.box) })) };
    if (++n === count) break;
  }
}

/**
 * What frame `index` of a clip looks for beyond faces: people on every fullEvery-th frame, hands on
 * every handEvery-th. Hands cost about half of a full frame (a detector and a landmark model per
 * hand) and no part of the app reads them over time (click targets are faces and people; a player
 * is asked for by class), so they are looked for less often than people.
 */
export function frameWork(index: number, req: Pick<SegmentRequest, 'fullEvery' | 'handEvery'>): { full: boolean; hands: boolean } {
  const full = index % req.fullEvery === 0;
  return { full, hands: full && index % (req.handEvery ?? req.fullEvery) === 0 };
}

/**
 * A clip of about `frames` frames cut into segments of about `target` frames, each starting on a
 * frame taken on its own; the last one runs to the end of the clip (whatever its exact length).
 */
export function planSegments(frames: number, fullEvery: number, target: number): { first: number; count: number | null }[] {
  const step = lcm(REFRESH_EVERY, fullEvery);
  const len = Math.max(step, Math.round(target / step) * step);
  const out: { first: number; count: number | null }[] = [];
  let first = 0;
  // The last segment takes what is left, up to one and a half segments (no tiny last segment).
  for (; first + 1.5 * len < frames; first += len) out.push({ first, count: len });
  out.push({ first, count: null });
  return out;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
