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
  // A frame that looks for people is held back with the frames after it, up to the next such
  // frame, while the movement inside each person's box is summed over them (PersonMotion).
  let held: { index: number; objects: DetectedObject[] }[] = [];
  const motion = new PersonMotion(width, height);
  function* release(): Generator<FoundFrame> {
    const people = held[0]?.objects.filter((o) => o.kind === 'person') ?? [];
    for (const o of people) {
      const m = motion.inside(o.box);
      if (m !== null) o.motion = m;
    }
    for (const h of held) yield { index: h.index, time: h.index / fps, objects: h.objects.map((o) => ({ ...o, box: toFrame(o.box) })) };
    held = [];
  }
  let n = 0;
  for await (const f of stream.frames) {
    if (signal?.aborted) throw new Cancelled();
    const index = first + f.index;
    const { full, hands } = frameWork(index, req);
    const independent = req.independent || n === 0 || full || index % REFRESH_EVERY === 0;
    const found = await detector.detect({ width, height, rgb: f.rgb }, { full, hands, independent });
    if (full) {
      yield* release();
      motion.restart();
    }
    motion.add(f.rgb);
    held.push({ index, objects: found });
    if (++n === count) break;
  }
  yield* release();
}

/** Pixels a side of one cell of the brightness picture the movement is measured on. */
const MOTION_CELL = 4;

/**
 * Movement in the picture from one frame that looks for people to the next: the absolute change
 * of each cell's brightness (0..1) between consecutive frames, summed. Only frames after such a
 * frame count (a segment starts on one), so what is measured does not depend on how the clip is
 * cut into segments.
 */
export class PersonMotion {
  private readonly cols: number;
  private readonly rows: number;
  private prev: Float32Array | null = null;
  private sum: Float32Array;
  private steps = 0;

  constructor(
    private readonly width: number,
    height: number,
  ) {
    this.cols = Math.max(1, Math.floor(width / MOTION_CELL));
    this.rows = Math.max(1, Math.floor(height / MOTION_CELL));
    this.sum = new Float32Array(this.cols * this.rows);
  }

  restart(): void {
    this.prev = null;
    this.sum.fill(0);
    this.steps = 0;
  }

  /** The next frame (RGB24 at the detector's size). */
  add(rgb: Uint8Array): void {
    const { cols, rows, width } = this;
    const cur = new Float32Array(cols * rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let y = r * MOTION_CELL; y < (r + 1) * MOTION_CELL; y++) {
          for (let x = c * MOTION_CELL; x < (c + 1) * MOTION_CELL; x++) {
            const o = 3 * (y * width + x);
            s += 0.299 * rgb[o] + 0.587 * rgb[o + 1] + 0.114 * rgb[o + 2];
          }
        }
        cur[r * cols + c] = s / (MOTION_CELL * MOTION_CELL * 255);
      }
    }
    if (this.prev) {
      for (let i = 0; i < cur.length; i++) this.sum[i] += Math.abs(cur[i] - this.prev[i]);
      this.steps++;
    }
    this.prev = cur;
  }

  /** Mean change a step inside `box` (0..1 of the detector's frame); null before two frames. */
  inside(box: readonly number[]): number | null {
    if (this.steps === 0) return null;
    const c0 = Math.max(0, Math.floor(box[0] * this.cols)), c1 = Math.min(this.cols, Math.ceil(box[2] * this.cols));
    const r0 = Math.max(0, Math.floor(box[1] * this.rows)), r1 = Math.min(this.rows, Math.ceil(box[3] * this.rows));
    if (c1 <= c0 || r1 <= r0) return null;
    let s = 0;
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) s += this.sum[r * this.cols + c];
    return s / ((c1 - c0) * (r1 - r0) * this.steps);
  }
}

/**
 * What frame `index` of a clip looks for beyond faces: people on every fullEvery-th frame, hands on
 * every handEvery-th. Hands cost about half of a full frame (a detector and a landmark model per
 * hand) and no part of the app follows them over time (click targets are faces and people; a
 * player's movement is measured from the frames inside their box, PersonMotion), so they are
 * looked for less often than people.
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
