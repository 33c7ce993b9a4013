import { quantile } from '../detect/speaking';
import { frameGeometry } from '../media/geometry';
import { openFrames } from '../media/frames';
import type { MediaInfo } from '../media/probe';
import type { Click } from './features';

/**
 * How a clicked thing moves over the clip, as a signal of when it sounds. In the picture a player's
 * hands and body move with what they play; in the synthetic world the rule is explicit (see the
 * world's description): a sprite is lifted by A x env(t) and grows by 10 % x env(t), env being its
 * own sound's envelope over one video frame, divided by its maximum, and it drifts slowly on top.
 * Any point of the sprite then moves up in proportion to env(t), so following the clicked point
 * gives its envelope: a template of the picture around the click, found again in every frame
 * (sum of squared differences over a window around the click), gives the point's height over
 * time; a line through its lowest positions removes the drift, and the rest, divided by its
 * near-maximum, is the activity (0..1).
 *
 * Around a click there is background too (a thin sprite's box is mostly background), and the
 * background does not move: matched as it is, it holds the template where it was cut. So each of
 * the template's pixels counts by how much the picture there changes over the clip (its standard
 * deviation over time, above the picture's typical one): the moving thing counts, a still
 * background does not. That takes one pass over the frames before the one that follows them.
 */

/** Height of the picture the tracker looks at, pixels (the width follows the picture's shape). */
const TRACK_HEIGHT = 180;
/** Side of the template around the click, in frame heights (a sprite is 1/4 to 1/3 of it). */
const PATCH = 0.16;
/** How far from the click the template is looked for: lift (up to 8 %) and drift (5 %) both ways, in frame heights. */
const SEARCH_Y = 0.15;
/** ... and sideways (drift, growth), in frame heights. */
const SEARCH_X = 0.12;
/** Sideways room around the drift's line, pixels (a sprite grows by up to 10 % about its centre). */
const SIDEWAYS = 2;
/** Coarse step of the search, pixels; the best coarse place is refined pixel by pixel. */
const COARSE = 3;
/** The most frames a second followed (a video's own rate up to this). */
const MAX_FPS = 30;

export interface PointMotion {
  /** Frames a second; frame n stands for the picture at (n + 0.5) / fps seconds into the media. */
  fps: number;
  /** Per point: how far it is above where it was clicked, per frame, in frame heights (up positive). */
  lift: Float32Array[];
}

interface Gray {
  w: number;
  h: number;
  px: Float32Array;
}

function toGray(rgb: Uint8Array, w: number, h: number): Gray {
  const px = new Float32Array(w * h);
  for (let i = 0; i < px.length; i++) px[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
  return { w, h, px };
}

interface Template {
  /** Top-left of the template in the click's frame, pixels. */
  x: number;
  y: number;
  size: number;
  px: Float32Array;
  /** How much each pixel counts (sums to 1). */
  weight: Float32Array;
}

/** The template around (cx, cy); `change`: how much the picture changes at each pixel (null: all count alike). */
export function cut(g: Gray, cx: number, cy: number, size: number, change: Float32Array | null): Template {
  const x = Math.min(g.w - size, Math.max(0, Math.round(cx - size / 2)));
  const y = Math.min(g.h - size, Math.max(0, Math.round(cy - size / 2)));
  const px = new Float32Array(size * size);
  const weight = new Float32Array(size * size).fill(1);
  for (let r = 0; r < size; r++) {
    px.set(g.px.subarray((y + r) * g.w + x, (y + r) * g.w + x + size), r * size);
    if (change) weight.set(change.subarray((y + r) * g.w + x, (y + r) * g.w + x + size), r * size);
  }
  let total = weight.reduce((s, v) => s + v, 0);
  // Nothing changes around the click: every pixel counts alike (the point will not move).
  if (!(total > 1e-6)) total = weight.fill(1).length;
  for (let i = 0; i < weight.length; i++) weight[i] /= total;
  return { x, y, size, px, weight };
}

function ssd(g: Gray, t: Template, x: number, y: number): number {
  let s = 0;
  for (let r = 0; r < t.size; r++) {
    const row = (y + r) * g.w + x;
    for (let c = 0; c < t.size; c++) {
      const w = t.weight[r * t.size + c];
      if (w === 0) continue;
      const d = g.px[row + c] - t.px[r * t.size + c];
      s += w * d * d;
    }
  }
  return s;
}

/**
 * How much the picture changes at each pixel over the frames: its standard deviation over time,
 * less the median over the picture (what a still picture's coding noise gives), 0 at least.
 */
export class PixelChange {
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private n = 0;

  constructor(size: number) {
    this.sum = new Float64Array(size);
    this.sumSq = new Float64Array(size);
  }

  add(g: Gray): void {
    for (let i = 0; i < g.px.length; i++) {
      this.sum[i] += g.px[i];
      this.sumSq[i] += g.px[i] * g.px[i];
    }
    this.n++;
  }

  result(): Float32Array {
    const std = new Float32Array(this.sum.length);
    if (this.n < 2) return std;
    for (let i = 0; i < std.length; i++) {
      const m = this.sum[i] / this.n;
      std[i] = Math.sqrt(Math.max(0, this.sumSq[i] / this.n - m * m));
    }
    const floor = quantile(Array.from(std.filter((_, i) => i % 7 === 0)), 0.5);
    for (let i = 0; i < std.length; i++) std[i] = Math.max(0, std[i] - floor);
    return std;
  }
}

/**
 * Where the template is in frame g, searched `rangeX` pixels sideways of column `atX` and `rangeY`
 * up and down from where it was cut: its top-left column, and its vertical offset from where it
 * was cut (pixels, down positive, sub-pixel).
 */
export function findTemplate(g: Gray, t: Template, atX: number, rangeX: number, rangeY: number): { x: number; dy: number } {
  const x0 = Math.max(0, Math.round(atX) - rangeX), x1 = Math.min(g.w - t.size, Math.round(atX) + rangeX);
  const y0 = Math.max(0, t.y - rangeY), y1 = Math.min(g.h - t.size, t.y + rangeY);
  const step = rangeX > COARSE ? COARSE : 1;
  let best = Infinity, bx = Math.max(x0, Math.min(x1, Math.round(atX))), by = t.y;
  for (let y = y0; y <= y1; y += COARSE) {
    for (let x = x0; x <= x1; x += step) {
      const s = ssd(g, t, x, y);
      if (s < best) [best, bx, by] = [s, x, y];
    }
  }
  const cx = bx, cy = by;
  for (let y = Math.max(y0, cy - COARSE + 1); y <= Math.min(y1, cy + COARSE - 1); y++) {
    for (let x = Math.max(x0, cx - step + 1); x <= Math.min(x1, cx + step - 1); x++) {
      const s = ssd(g, t, x, y);
      if (s < best) [best, bx, by] = [s, x, y];
    }
  }
  // Sub-pixel: the parabola through the best place and its neighbours above and below.
  let dy = 0;
  if (by > y0 && by < y1) {
    const a = ssd(g, t, bx, by - 1), c = ssd(g, t, bx, by + 1);
    const den = a - 2 * best + c;
    if (den > 1e-9) dy = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den));
  }
  return { x: bx, dy: by + dy - t.y };
}

const median = (v: number[]) => quantile(v, 0.5);

/**
 * The straight line x = a + b i through points (i, x[i]) that most of them lie on (Siegel's
 * repeated medians, on at most `most` points spread evenly): a thin sprite matches along its own
 * direction too, so single matches stray; the drift they follow is a line.
 */
export function robustLine(x: number[], most = 200): { a: number; b: number } {
  const idx = x.length <= most ? x.map((_, i) => i) : Array.from({ length: most }, (_, k) => Math.round((k * (x.length - 1)) / (most - 1)));
  if (idx.length < 2) return { a: x[0] ?? 0, b: 0 };
  const b = median(idx.map((i) => median(idx.filter((j) => j !== i).map((j) => (x[j] - x[i]) / (j - i)))));
  const a = median(idx.map((i) => x[i] - b * i));
  return { a, b };
}

/**
 * The picture the tracker looks at: the frame's shape, TRACK_HEIGHT high, at the video's own rate
 * up to MAX_FPS; `at` maps a point (0..1 of the original frame) to its pixel there.
 */
function trackingView(info: MediaInfo, what: string): { width: number; height: number; fps: number; at: (p: { x: number; y: number }) => { x: number; y: number } } {
  const v = info.video;
  if (!v) throw new RangeError(`${what} needs a picture`);
  const aspect = (v.width * v.sampleAspect) / v.height;
  const width = Math.max(16, 2 * Math.round((TRACK_HEIGHT * aspect) / 2)), height = TRACK_HEIGHT;
  const g = frameGeometry(v.width * v.sampleAspect, v.height, width, height);
  return {
    width,
    height,
    fps: Math.min(MAX_FPS, v.fps > 0 ? v.fps : 25),
    at: (p) => ({ x: g.offsetX + p.x * g.scaledWidth, y: g.offsetY + p.y * g.scaledHeight }),
  };
}

/**
 * Follows each clicked point (0..1 of the original frame, at its time) over the whole clip (or from
 * startSec for durationSec): how far it is above where it was clicked, frame by frame.
 */
export async function trackPoints(file: string, info: MediaInfo, points: Click[], opts: { startSec?: number; durationSec?: number; signal?: AbortSignal } = {}): Promise<PointMotion> {
  const { width, height, fps, at } = trackingView(info, 'following a point');
  const size = Math.max(6, Math.round(PATCH * height));
  const rangeX = Math.round(SEARCH_X * height), rangeY = Math.round(SEARCH_Y * height);
  const range = { startSec: opts.startSec, durationSec: opts.durationSec };
  // First pass: where the picture changes over the clip (what moves, as opposed to the background).
  const change = new PixelChange(width * height);
  const first = await openFrames(file, { width, height, fps, info, signal: opts.signal, ...range });
  for await (const f of first.frames) change.add(toGray(f.rgb, width, height));
  const moving = change.result();
  // The templates: the picture around each click, in the frame on screen at its time.
  const templates: Template[] = [];
  for (const p of points) {
    const frame = Math.max(0, Math.floor(p.timeSec * fps));
    const one = await openFrames(file, { width, height, fps, info, signal: opts.signal, startSec: frame / fps, durationSec: 1.5 / fps });
    let g: Gray | null = null;
    for await (const f of one.frames) {
      g ??= toGray(f.rgb, width, height);
    }
    if (!g) throw new RangeError(`no picture at ${p.timeSec.toFixed(2)} s to follow`);
    const c = at(p);
    templates.push(cut(g, c.x, c.y, size, moving));
  }
  // Second pass: where each template is, searched both ways; the sideways positions give the
  // drift's line (the sprite moves sideways only by drifting, and by growing a little).
  const across: number[][] = points.map(() => []);
  const second = await openFrames(file, { width, height, fps, info, signal: opts.signal, ...range });
  for await (const f of second.frames) {
    const g = toGray(f.rgb, width, height);
    templates.forEach((t, k) => across[k].push(findTemplate(g, t, t.x, rangeX, rangeY).x));
  }
  const lines = across.map((x) => robustLine(x));
  // Third pass: up and down only, on the drift's line.
  const lift: number[][] = points.map(() => []);
  const third = await openFrames(file, { width, height, fps, info, signal: opts.signal, ...range });
  let i = 0;
  for await (const f of third.frames) {
    const g = toGray(f.rgb, width, height);
    templates.forEach((t, k) => lift[k].push(-findTemplate(g, t, lines[k].a + lines[k].b * i, SIDEWAYS, rangeY).dy / height));
    i++;
  }
  return { fps, lift: lift.map((l) => Float32Array.from(l)) };
}

/**
 * A point's activity (0..1) from its lift: above a line through its resting positions (the slow
 * drift is a straight line over a clip), divided by its near-maximum. A point that never moves
 * has none.
 */
export function liftActivity(lift: Float32Array): Float32Array {
  const n = lift.length;
  const out = new Float32Array(n);
  if (n < 2) return out;
  // The line through the lowest positions: fit, keep what lies on or under it, fit again.
  let keep = Array.from({ length: n }, (_, i) => i);
  let a = 0, b = 0;
  for (let round = 0; round < 6 && keep.length >= 2; round++) {
    const m = keep.length;
    const mi = keep.reduce((s, i) => s + i, 0) / m, ml = keep.reduce((s, i) => s + lift[i], 0) / m;
    let sil = 0, sii = 0;
    for (const i of keep) {
      sil += (i - mi) * (lift[i] - ml);
      sii += (i - mi) ** 2;
    }
    b = sii > 0 ? sil / sii : 0;
    a = ml - b * mi;
    const under = keep.filter((i) => lift[i] <= a + b * i);
    if (under.length < Math.max(2, 0.1 * n) || under.length === keep.length) break;
    keep = under;
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(0, lift[i] - (a + b * i));
  const top = quantile(Array.from(out), 0.98);
  // Below a pixel's worth of movement (the tracker's own jitter) is not movement.
  if (!(top > 1.5 / TRACK_HEIGHT)) return out.fill(0);
  for (let i = 0; i < n; i++) out[i] = Math.min(1, out[i] / top);
  return out;
}

/** Side of the square around a click whose movement is that source's, in frame heights. */
const NEAR = 0.4;
/** Movement is averaged over this long, seconds (a strumming hand swings a few times a second). */
const NEAR_SMOOTH_SEC = 0.5;

/**
 * How much the picture moves near each clicked point, frame by frame (the mean change of
 * brightness, 0..1, from the previous frame inside a square of NEAR frame heights around the
 * point, averaged over NEAR_SMOOTH_SEC): a player's hands and body where they were clicked. On
 * real footage a person detector may take two people side by side for one, so the click, not a
 * detected box, says where to look.
 */
export async function motionNear(file: string, info: MediaInfo, points: { x: number; y: number }[], opts: { startSec?: number; durationSec?: number; signal?: AbortSignal } = {}): Promise<{ fps: number; motion: Float32Array[] }> {
  const { width, height, fps, at } = trackingView(info, 'measuring movement');
  // Half the square's side: NEAR of the picture's height as shown (without any letterbox bars).
  const half = (NEAR * (at({ x: 0, y: 1 }).y - at({ x: 0, y: 0 }).y)) / 2;
  const boxes = points.map((p) => {
    const { x: cx, y: cy } = at(p);
    return [Math.max(0, Math.round(cx - half)), Math.max(0, Math.round(cy - half)), Math.min(width, Math.round(cx + half)), Math.min(height, Math.round(cy + half))];
  });
  const raw: number[][] = points.map(() => []);
  let prev: Gray | null = null;
  const stream = await openFrames(file, { width, height, fps, info, signal: opts.signal, startSec: opts.startSec, durationSec: opts.durationSec });
  for await (const f of stream.frames) {
    const g = toGray(f.rgb, width, height);
    boxes.forEach(([x0, y0, x1, y1], k) => {
      let s = 0;
      if (prev) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += Math.abs(g.px[y * width + x] - prev.px[y * width + x]);
      raw[k].push(s / Math.max(1, (x1 - x0) * (y1 - y0)) / 255);
    });
    prev = g;
  }
  // The first frame has nothing to compare with: it takes the second's.
  for (const r of raw) if (r.length > 1) r[0] = r[1];
  const w = Math.max(1, Math.round(NEAR_SMOOTH_SEC * fps));
  const smooth = (r: number[]) => Float32Array.from(r, (_v, i) => {
    const lo = Math.max(0, i - (w >> 1)), hi = Math.min(r.length, lo + w);
    let s = 0;
    for (let j = lo; j < hi; j++) s += r[j];
    return s / (hi - lo);
  });
  return { fps, motion: raw.map(smooth) };
}
