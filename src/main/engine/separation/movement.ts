import { quantile } from '../detect/speaking';
import { openFrames } from '../media/frames';
import type { MediaInfo } from '../media/probe';
import { TRACK_HEIGHT, trackingSource, trackingView } from '../media/tracking-view';
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
 * deviation over time, above the picture's typical one) and by how unlike its usual look (its
 * median over the frames) it is in the clicked frame: the moving thing counts; a still background
 * does not, nor one the thing only passes over. Places where nothing changes are not looked at.
 * That takes one pass over the frames before the one that follows them.
 */

/** Side of the template around the click, in frame heights (a sprite is 1/4 to 1/3 of it). */
const PATCH = 0.16;
/** How far from the click the template is looked for: lift (up to 8 %) and drift (5 %) both ways, in frame heights. */
const SEARCH_Y = 0.15;
/** ... and sideways (drift, growth), in frame heights. */
const SEARCH_X = 0.12;
/** Sideways room around the drift's line, pixels (a sprite grows by up to 10 % about its centre). */
const SIDEWAYS = 2;
/**
 * Coarse step of the search, pixels; the best coarse place is refined pixel by pixel. A thin
 * thing (a banjo's neck, a flute) matches only within a pixel or two of its place: a step of 3
 * stepped over it and settled on a wider, poorer dip beside it.
 */
const COARSE = 2;
/**
 * A place whose pixels change over the clip less than this share of what the template's own place
 * does (each pixel weighed as the template weighs it) is not looked at: the clicked thing moves,
 * so wherever it goes the picture changes, and a still patch of background that happens to match
 * a little better than the thing in a frame where it looks least like its template is not it.
 * (Still background scores 0; the thing at rest 0.2 and up on validation clips.)
 */
const STILL_SHARE = 0.1;
/**
 * Grey levels by which a pixel of the clicked frame must differ from its usual look (its median
 * over the frames) to count in full: less, it counts in proportion. Where a thing drifts past, the
 * picture changes, but in the clicked frame most of that path shows the usual background, and a
 * template made of it stays where it was cut when the thing moves away.
 */
const UNUSUAL = 16;
/**
 * ... unless the clicked frame looks as usual almost everywhere the picture changes (less than
 * this share of the change is unusual): a thing clicked at rest, where it rests most of the time,
 * has nothing unusual to show, and its change alone weighs the template. (Clicked where it
 * sounds the share is 0.3 and up; at rest without drifting, 0.01 to 0.03.)
 */
const CLICKED_AS_USUAL = 0.1;
/**
 * A pixel unlike the template's by more than this many of the template's standard deviations
 * counts as much as any unlike one: where a sprite changes its look (a speaker's mouth opens
 * and closes) those pixels must not outweigh the rest of it, which only moves. (On 56 clicked
 * sources of test-seed clips the activity's correlation with the true envelope rose from 0.88
 * to 0.95 on average, for speakers from 0.85 to 0.94; 0.7 to 2.5 were tried.)
 */
const MISMATCH = 1;
/**
 * The most frames held for the pixel change and the drift's line: a span up to this long (a
 * minute at 30 fps) is decoded once and measured from memory (only the part of each frame a
 * point's search can reach is held, about 6 kB a point); a longer one is sampled evenly to this
 * many frames, and decoded a second time for the heights.
 */
const KEEP_FRAMES = 1800;
/**
 * Seconds on each side of a range over which the pixels' change weighs the templates too, and the
 * fewest frames of those sides it is measured on (every k-th, or a sample at a lower rate when the
 * range is too long to hold). Not tuned: on validation clips (3 s ranges of 8 s clips, where they
 * cover the whole clip) they took the range's share from 12.85 to 13.53 dB (the whole file's over
 * the same seconds: 15.41).
 */
const CHANGE_MARGIN_SEC = 10;
const CHANGE_FRAMES = 200;
/** Frames, spread evenly, searched both ways for the drift's line (a straight line over the clip: 60 places find it). */
const LINE_FRAMES = 60;
/**
 * Frames, spread evenly, each pixel's usual look is read from (its median over them). From 60 (the
 * line's frames) a thin real flute, clicked at its loudest, kept a template that matched it in
 * none of the frames after (its activity's correlation with its loudness 0.08); from 90, 120, 180,
 * 240 and 400 it is followed (0.89-0.98), and nothing else moves by more than 0.02 on 127 sources
 * of 20 s validation clips.
 */
const USUAL_FRAMES = 240;

export interface PointMotion {
  /** Frames a second; frame n stands for the picture at fromSec + (n + 0.5) / fps seconds into the media. */
  fps: number;
  /** Where the first frame starts, seconds: on the media's frame grid (a whole number of frames). */
  fromSec: number;
  /** Per point: how far it is above where it was clicked, per frame, in frame heights (up positive). */
  lift: Float32Array[];
}

/** A grey picture, one byte a pixel, row-major. */
interface Gray {
  w: number;
  h: number;
  px: Uint8Array;
}

/** The picture around a click, which of its pixels count, and where it is looked for. */
interface Template {
  /** Top-left of the template in the click's frame, pixels. */
  x: number;
  y: number;
  size: number;
  /**
   * The pixels that count (weight > 0; a still background counts for nothing): each one's offset
   * from the template's top-left in a frame as wide as the click's, its value, and its weight
   * (the weights sum to 1).
   */
  offset: Int32Array;
  value: Float32Array;
  weight: Float32Array;
  /** The squared difference a pixel counts for at most. */
  mismatch: number;
  /** Per top-left place in the click's frame (row-major, as wide as it): 1 where the thing may be (see STILL_SHARE). */
  candidate: Uint8Array | null;
}

/**
 * The template with its top-left at (x, y) in g, the clicked frame: `change` is how much the
 * picture changes at each pixel of g over the frames, `usual` each pixel's usual value; a pixel
 * counts by its change and by how unlike its usual value it is in g (UNUSUAL).
 */
function cut(g: Gray, x: number, y: number, size: number, change: Float32Array, usual: Uint8Array): Template {
  const unusual = (i: number) => change[i] * Math.min(1, Math.abs(g.px[i] - usual[i]) / UNUSUAL);
  let changed = 0, unusualTotal = 0;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      changed += change[(y + r) * g.w + x + c];
      unusualTotal += unusual((y + r) * g.w + x + c);
    }
  }
  const asUsual = !(unusualTotal >= CLICKED_AS_USUAL * changed);
  const weighs = asUsual ? (i: number) => change[i] : unusual;
  const total = asUsual ? changed : unusualTotal;
  // Nothing changes around the click: every pixel counts alike (the point will not move).
  const alike = !(total > 1e-6);
  const pix: { o: number; v: number; w: number }[] = [];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const w = alike ? 1 / (size * size) : weighs((y + r) * g.w + x + c) / total;
      if (w === 0) continue;
      pix.push({ o: r * g.w + c, v: g.px[(y + r) * g.w + x + c], w });
    }
  }
  // Heaviest first: a poor place's sum passes the best one's within its first pixels (see ssd).
  pix.sort((p, q) => q.w - p.w);
  const offset = pix.map((p) => p.o), value = pix.map((p) => p.v), weight = pix.map((p) => p.w);
  let mean = 0, variance = 0;
  value.forEach((v, i) => (mean += weight[i] * v));
  value.forEach((v, i) => (variance += weight[i] * (v - mean) ** 2));
  const t: Template = { x, y, size, offset: Int32Array.from(offset), value: Float32Array.from(value), weight: Float32Array.from(weight), mismatch: MISMATCH * MISMATCH * Math.max(variance, 1), candidate: null };
  if (!alike) t.candidate = candidates(t, g.w, g.h, change);
  return t;
}

/** The places (top-left) where the picture under the template changes enough for the thing to be there (STILL_SHARE). */
function candidates(t: Template, w: number, h: number, change: Float32Array): Uint8Array | null {
  // How much the picture changes under the template at a place, as the template weighs its pixels.
  const under = (x: number, y: number) => {
    let sum = 0;
    for (let i = 0; i < t.offset.length; i++) sum += t.weight[i] * change[y * w + x + t.offset[i]];
    return sum;
  };
  const own = under(t.x, t.y);
  if (!(own > 0)) return null;
  const candidate = new Uint8Array(w * h);
  for (let y = 0; y + t.size <= h; y++) for (let x = 0; x + t.size <= w; x++) candidate[y * w + x] = under(x, y) >= STILL_SHARE * own ? 1 : 0;
  return candidate;
}

/**
 * The weighted difference between the template and the picture at (x, y); Infinity where the
 * thing cannot be (a still place). Its terms are never negative, so once the sum is above `stop`
 * (the best place so far) this place cannot win, not even a tie, and the rest is skipped: the
 * search finds the same place as with every sum complete.
 */
function ssd(g: Gray, t: Template, x: number, y: number, stop = Infinity): number {
  const base = y * g.w + x;
  if (t.candidate && !t.candidate[base]) return Infinity;
  const { offset, value, weight, mismatch } = t;
  const n = offset.length;
  let s = 0;
  for (let i0 = 0; i0 < n; i0 += 32) {
    const i1 = Math.min(n, i0 + 32);
    for (let i = i0; i < i1; i++) {
      const d = g.px[base + offset[i]] - value[i];
      const q = d * d;
      s += weight[i] * (q < mismatch ? q : mismatch);
    }
    if (s > stop) return s;
  }
  return s;
}

/** The picture's typical change (its coding noise) is the median over every FLOOR_EVERY-th pixel. */
const FLOOR_EVERY = 7;

/**
 * How much the picture changes at each pixel over the frames: its standard deviation over time,
 * less the median over the picture (what a still picture's coding noise gives), 0 at least.
 * Only the pixels asked for (those the templates are cut from) and the ones the median reads are
 * followed; the others stay 0.
 */
export class PixelChange {
  private readonly at: Int32Array;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private n = 0;

  /** `size` pixels in all; `wanted(i)`: pixel i is read from the result. */
  constructor(private readonly size: number, wanted: (i: number) => boolean) {
    const at: number[] = [];
    for (let i = 0; i < size; i++) if (i % FLOOR_EVERY === 0 || wanted(i)) at.push(i);
    this.at = Int32Array.from(at);
    this.sum = new Float64Array(at.length);
    this.sumSq = new Float64Array(at.length);
  }

  add(px: Uint8Array): void {
    const { at, sum, sumSq } = this;
    for (let j = 0; j < at.length; j++) {
      const v = px[at[j]];
      sum[j] += v;
      sumSq[j] += v * v;
    }
    this.n++;
  }

  result(): Float32Array {
    const std = new Float32Array(this.size);
    if (this.n < 2) return std;
    const floorSample: number[] = [];
    for (let j = 0; j < this.at.length; j++) {
      const m = this.sum[j] / this.n;
      const i = this.at[j];
      std[i] = Math.sqrt(Math.max(0, this.sumSq[j] / this.n - m * m));
      if (i % FLOOR_EVERY === 0) floorSample.push(std[i]);
    }
    const floor = quantile(floorSample, 0.5);
    for (const i of this.at) std[i] = Math.max(0, std[i] - floor);
    return std;
  }
}

/**
 * The place k in [0, count) with the least difference `diff(k, stop)` (see ssd for `stop`), `first`
 * tried first: a close match found early lets the others stop early. A tie goes to `held` (a place
 * already measured, not tried again) when given, otherwise to the place first in the scan, so the
 * answer is the one a plain scan gives.
 */
export function leastPlace(count: number, diff: (k: number, stop: number) => number, first: number, held?: { k: number; s: number }): { k: number; s: number } {
  const keep = held?.k ?? -1;
  let best = held?.s ?? Infinity, bestK = keep;
  const tryPlace = (k: number) => {
    if (k === keep) return;
    const s = diff(k, best);
    if (s < best || (s === best && bestK !== keep && k < bestK)) [best, bestK] = [s, k];
  };
  tryPlace(first);
  for (let k = 0; k < count; k++) if (k !== first) tryPlace(k);
  return { k: bestK, s: best };
}

/** Places on a grid, k at column k % cols and row k / cols (the order of a scan), and back. */
function scanGrid(left: number, top: number, cols: number, dx: number, dy: number) {
  return {
    x: (k: number) => left + (k % cols) * dx,
    y: (k: number) => top + Math.floor(k / cols) * dy,
    at: (x: number, y: number) => Math.floor((y - top) / dy) * cols + Math.floor((x - left) / dx),
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/**
 * Where the template is in frame g, searched `rangeX` pixels sideways of column `atX` and `rangeY`
 * up and down from where it was cut: its top-left (pixels), and its vertical offset from where it
 * was cut (pixels, down positive, sub-pixel). `near` is where it was in the frame before, tried
 * first (see leastPlace).
 */
function findTemplate(g: Gray, t: Template, atX: number, rangeX: number, rangeY: number, near?: { x: number; y: number }): { x: number; y: number; dy: number } {
  // A drift's line may leave the reach (a thing that drifts further sideways than the search
  // reaches): it is looked for at the reach's edge, never outside the picture held.
  const column = clamp(Math.round(atX), 0, g.w - t.size);
  const x0 = Math.max(0, column - rangeX), x1 = Math.min(g.w - t.size, column + rangeX);
  const y0 = Math.max(0, t.y - rangeY), y1 = Math.min(g.h - t.size, t.y + rangeY);
  // A narrow sideways range (on the drift's line) is searched in its middle column only, there
  // every row: the height is what the tracker measures.
  const narrow = rangeX <= COARSE;
  const step = narrow ? rangeX + 1 : COARSE, stepY = narrow ? 1 : COARSE;
  const xFrom = narrow ? column : x0;
  // Coarsely over the whole range.
  const cols = narrow ? 1 : Math.floor((x1 - x0) / step) + 1, rows = Math.floor((y1 - y0) / stepY) + 1;
  const coarse = scanGrid(xFrom, y0, cols, step, stepY);
  const nearCoarse = near ? coarse.at(clamp(near.x + (step >> 1), xFrom, xFrom + (cols - 1) * step), clamp(near.y + (stepY >> 1), y0, y0 + (rows - 1) * stepY)) : 0;
  const rough = leastPlace(rows * cols, (k, stop) => ssd(g, t, coarse.x(k), coarse.y(k), stop), nearCoarse);
  // No place the thing may be within reach (a line far off its own place): look at every place.
  if (rough.k < 0) return findTemplate(g, { ...t, candidate: null }, atX, rangeX, rangeY, near);
  // Then pixel by pixel around the best coarse place.
  const cx = coarse.x(rough.k), cy = coarse.y(rough.k);
  const rx0 = Math.max(x0, cx - step + 1), rx1 = Math.min(x1, cx + step - 1);
  const ry0 = Math.max(y0, cy - stepY + 1), ry1 = Math.min(y1, cy + stepY - 1);
  const fine = scanGrid(rx0, ry0, rx1 - rx0 + 1, 1, 1);
  const nearFine = near && near.x >= rx0 && near.x <= rx1 && near.y >= ry0 && near.y <= ry1 ? fine.at(near.x, near.y) : fine.at(cx, cy);
  const found = leastPlace((rx1 - rx0 + 1) * (ry1 - ry0 + 1), (k, stop) => ssd(g, t, fine.x(k), fine.y(k), stop), nearFine, { k: fine.at(cx, cy), s: rough.s });
  const best = found.s, bx = fine.x(found.k), by = fine.y(found.k);
  // Sub-pixel: the parabola through the best place and its neighbours above and below.
  let dy = 0;
  if (by > y0 && by < y1) {
    const a = ssd(g, t, bx, by - 1), c = ssd(g, t, bx, by + 1);
    // A neighbour where the thing cannot be (a still place) leaves the height whole.
    const den = Number.isFinite(a) && Number.isFinite(c) ? a - 2 * best + c : 0;
    if (den > 1e-9) dy = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den));
  }
  return { x: bx, y: by, dy: by + dy - t.y };
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

/** The part of the picture a point's search can reach, and where the template sits in it. */
interface Reach {
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** The template's top-left inside the reach. */
  tx: number;
  ty: number;
}

/** That part of a picture (grey bytes, or any per-pixel values) `width` wide, into `out` (r.w x r.h). */
function within<T extends Uint8Array | Float32Array>(px: T, width: number, r: Reach, out: T): T {
  for (let y = 0; y < r.h; y++) out.set(px.subarray((r.y0 + y) * width + r.x0, (r.y0 + y) * width + r.x0 + r.w), y * r.w);
  return out;
}

/**
 * Follows each clicked point (0..1 of the original frame, at its time) over the whole clip (or from
 * startSec for durationSec): how far it is above where it was clicked, frame by frame. The pixel
 * change weighs the templates (over the span and, for a range, up to CHANGE_MARGIN_SEC on its sides)
 * and a sample of frames gives the drift's line, from the frames held
 * (every frame of a span up to KEEP_FRAMES); every frame gives the height on that line.
 *
 * Frames lie on the media's own grid (frame i on screen at (i + 0.5) / fps), so a range starts at
 * the frame that holds startSec. A span short enough to hold is decoded in one pass with its sides
 * and, where they lie within, the clicked pictures: each frame is read once, and a preview no
 * longer runs four decoders beside the models on two cores (a 10 s preview of the bench's clip
 * 1.15 -> 1.04 s, before the tracking copy). `copy`: the analysis' tracking copy of the media
 * (media/tracking-view.ts), read instead of the media.
 */
export async function trackPoints(
  file: string,
  info: MediaInfo,
  points: Click[],
  opts: { startSec?: number; durationSec?: number; signal?: AbortSignal; keepFrames?: number; copy?: string | null } = {},
): Promise<PointMotion> {
  const { width, height, fps, at } = trackingView(info, 'following a point');
  const size = Math.max(6, Math.round(PATCH * height));
  const rangeX = Math.round(SEARCH_X * height), rangeY = Math.round(SEARCH_Y * height);
  const source = trackingSource(file, info, opts.copy);
  const gray = (rate: number, span: { startSec?: number; durationSec?: number }) =>
    openFrames(source.file, { width, height, fps: rate, info: source.info, signal: opts.signal, layout: 'gray', ...span });
  const reaches: Reach[] = points.map((p) => {
    const c = at(p);
    const x = Math.min(width - size, Math.max(0, Math.round(c.x - size / 2)));
    const y = Math.min(height - size, Math.max(0, Math.round(c.y - size / 2)));
    const x0 = Math.max(0, x - rangeX), y0 = Math.max(0, y - rangeY);
    return { x0, y0, w: Math.min(width, x + size + rangeX) - x0, h: Math.min(height, y + size + rangeY) - y0, tx: x - x0, ty: y - y0 };
  });
  const part = (px: Uint8Array, r: Reach): Gray => ({ w: r.w, h: r.h, px: within(px, width, r, new Uint8Array(r.w * r.h)) });
  const frameAt = (sec: number) => Math.max(0, Math.floor(sec * fps + 1e-6));
  // The span on the frame grid: from the frame that holds startSec to the span's end.
  const first = frameAt(opts.startSec ?? 0);
  const fromSec = first / fps;
  const endSec = opts.durationSec === undefined ? info.durationSec : (opts.startSec ?? 0) + opts.durationSec;
  const spanSec = Math.max(0, endSec - fromSec);
  const range = first > 0 || opts.durationSec !== undefined ? { startSec: fromSec, durationSec: spanSec } : {};
  // The frames held: every one of a short span, an even sample of a long one (of unknown length, 1 a second).
  const heldFps = spanSec > 0 ? Math.min(fps, (opts.keepFrames ?? KEEP_FRAMES) / spanSec) : 1;
  const onePass = heldFps === fps;
  // A frame belongs to the span when it starts before the span's end (as ffmpeg's -t keeps it).
  const inSpan = (frame: number) => frame >= first && (opts.durationSec === undefined || frame / fps < endSec - 1e-6);
  const inReach = (i: number) => {
    const x = i % width, y = (i - x) / width;
    return reaches.some((r) => x >= r.x0 && x < r.x0 + r.w && y >= r.y0 && y < r.y0 + r.h);
  };
  const change = new PixelChange(width * height, inReach);
  const held: Gray[][] = points.map(() => []);
  // A range's few seconds may hold a clicked thing still while another moves beside it: weighted
  // by the change within the range alone, its template would be that other thing's passing edge,
  // and the tracker would follow it. The change is also measured over a sample of the seconds on
  // either side of the range, where the thing most likely moved with its own sound.
  const sides = changeSides(fromSec, spanSec, info.durationSec);
  const sideSec = sides.reduce((s, x) => s + x.durationSec, 0);
  // The picture around each click, in the frame on screen at its time: from the one pass where it
  // lies within, otherwise decoded beside it (once a frame, however many clicks it holds).
  const clickFrames = points.map((p) => frameAt(p.timeSec));
  const passFrom = onePass && sides.length > 0 ? Math.min(first, frameAt(sides[0].startSec)) : first;
  const passTo = onePass && sides.length > 0 ? Math.max(endSec, sides[sides.length - 1].startSec + sides[sides.length - 1].durationSec) : endSec;
  const inPass = (frame: number) => onePass && frame >= passFrom && (sides.length === 0 ? inSpan(frame) : frame / fps < passTo);
  const pictures = new Map<number, Promise<Uint8Array>>();
  for (const frame of clickFrames) {
    if (inPass(frame) || pictures.has(frame)) continue;
    const picture = (async () => {
      for await (const f of (await gray(fps, { startSec: frame / fps, durationSec: 1.5 / fps })).frames) return f.pixels;
      throw new RangeError(`no picture at ${((frame + 0.5) / fps).toFixed(2)} s to follow`);
    })();
    // Its failure is reported where it is awaited; a failure of the span's decoding first must not leave it unhandled.
    picture.catch(() => {});
    pictures.set(frame, picture);
  }
  const passed = new Map<number, Uint8Array>();
  if (onePass) {
    const sideFrames = Math.round(sideSec * fps);
    const sideEvery = Math.max(1, Math.floor(sideFrames / CHANGE_FRAMES));
    let sideSeen = 0;
    const pass = await gray(fps, passFrom > 0 || sides.length > 0 || opts.durationSec !== undefined ? { startSec: passFrom / fps, durationSec: passTo - passFrom / fps } : {});
    for await (const f of pass.frames) {
      const frame = passFrom + f.index;
      if (clickFrames.includes(frame)) passed.set(frame, f.pixels);
      if (inSpan(frame)) {
        change.add(f.pixels);
        reaches.forEach((r, k) => held[k].push(part(f.pixels, r)));
      } else if (sideSeen++ % sideEvery === 0) change.add(f.pixels);
    }
  } else {
    const holding = (async () => {
      for await (const f of (await gray(heldFps, range)).frames) {
        change.add(f.pixels);
        reaches.forEach((r, k) => held[k].push(part(f.pixels, r)));
      }
    })();
    // Decoded beside the span's own frames (another ffmpeg, another core).
    const around = (async () => {
      for (const side of sides) for await (const f of (await gray(Math.min(fps, CHANGE_FRAMES / sideSec), side)).frames) change.add(f.pixels);
    })();
    await Promise.all([holding, around]);
  }
  const clicked = await Promise.all(
    clickFrames.map(async (frame, k) => {
      const px = passed.get(frame) ?? (await pictures.get(frame));
      if (!px) throw new RangeError(`no picture at ${points[k].timeSec.toFixed(2)} s to follow`);
      return part(px, reaches[k]);
    }),
  );
  const moving = change.result();
  // Samples of the held frames, spread evenly: one for each pixel's usual look, one for the drift's
  // line (below). Held frame h stands for the picture at (h + 0.5) / heldFps.
  const n = held[0]?.length ?? 0;
  const { frames: sampled, step } = evenly(held, n, LINE_FRAMES);
  const usual = evenly(held, n, USUAL_FRAMES).frames;
  const templates = reaches.map((r, k) => {
    const change = within(moving, width, r, new Float32Array(r.w * r.h));
    return cut(clicked[k], r.tx, r.ty, size, change, usualLook(usual[k], change, r.tx, r.ty, size));
  });
  // Where each template is in the sample, searched both ways: the sideways positions give the
  // drift's line (the sprite moves sideways only by drifting, and by growing a little).
  const lines = templates.map((t, k) => {
    let at: { x: number; y: number } | undefined;
    return robustLine(sampled[k].map((g) => (at = findTemplate(g, t, t.x, rangeX, rangeY, at)).x));
  });
  // Up and down only, on the drift's line, in every frame i (at (i + 0.5) / fps).
  const lift: number[][] = points.map(() => []);
  const last: ({ x: number; y: number; dy: number } | undefined)[] = points.map(() => undefined);
  const follow = (frame: (k: number) => Gray, i: number) => {
    const h = ((i + 0.5) * heldFps) / fps - 0.5;
    templates.forEach((t, k) => {
      last[k] = findTemplate(frame(k), t, lines[k].a + (lines[k].b * h) / step, SIDEWAYS, rangeY, last[k]);
      lift[k].push(-last[k]!.dy / height);
    });
  };
  if (onePass) for (let i = 0; i < n; i++) follow((k) => held[k][i], i);
  else {
    let i = 0;
    for await (const f of (await gray(fps, range)).frames) follow((k) => part(f.pixels, reaches[k]), i++);
  }
  return { fps, fromSec, lift: lift.map((l) => Float32Array.from(l)) };
}

/** At most `most` of each point's n held frames, spread evenly from the first to the last, `step` held frames apart. */
function evenly(held: Gray[][], n: number, most: number): { frames: Gray[][]; step: number } {
  const samples = Math.min(n, most);
  const step = samples > 1 ? (n - 1) / (samples - 1) : 1;
  return { frames: held.map((frames) => Array.from({ length: samples }, (_, m) => frames[Math.round(m * step)])), step };
}

/**
 * Each pixel's usual value in the square of `size` at (x, y) (the template's; the result is as
 * large as the frames): its median over `frames`, measured only where the picture changes
 * (elsewhere it is never read).
 */
function usualLook(frames: Gray[], change: Float32Array, x: number, y: number, size: number): Uint8Array {
  const usual = new Uint8Array(change.length);
  if (frames.length === 0) return usual;
  const w = frames[0].w;
  const values = new Uint8Array(frames.length);
  for (let r = y; r < y + size; r++) {
    for (let i = r * w + x; i < r * w + x + size; i++) {
      if (change[i] === 0) continue;
      frames.forEach((g, m) => (values[m] = g.px[i]));
      usual[i] = values.sort()[frames.length >> 1];
    }
  }
  return usual;
}

/**
 * The seconds on either side of the span [startSec, startSec + spanSec] whose pixels' change also
 * weighs the templates: up to CHANGE_MARGIN_SEC each, within the media; none for the whole file.
 */
export function changeSides(startSec: number, spanSec: number, durationSec: number): { startSec: number; durationSec: number }[] {
  const end = startSec + spanSec;
  const from = Math.max(0, startSec - CHANGE_MARGIN_SEC);
  const to = Math.min(durationSec, end + CHANGE_MARGIN_SEC);
  return [
    { startSec: from, durationSec: startSec - from },
    { startSec: end, durationSec: to - end },
  ].filter((s) => s.durationSec > 0.05);
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
export async function motionNear(
  file: string,
  info: MediaInfo,
  points: { x: number; y: number }[],
  opts: { startSec?: number; durationSec?: number; signal?: AbortSignal; copy?: string | null } = {},
): Promise<{ fps: number; motion: Float32Array[] }> {
  const { width, height, fps, at } = trackingView(info, 'measuring movement');
  // Half the square's side: NEAR of the picture's height as shown (without any letterbox bars).
  const half = (NEAR * (at({ x: 0, y: 1 }).y - at({ x: 0, y: 0 }).y)) / 2;
  const boxes = points.map((p) => {
    const { x: cx, y: cy } = at(p);
    return [Math.max(0, Math.round(cx - half)), Math.max(0, Math.round(cy - half)), Math.min(width, Math.round(cx + half)), Math.min(height, Math.round(cy + half))];
  });
  const raw: number[][] = points.map(() => []);
  let prev: Uint8Array | null = null;
  const source = trackingSource(file, info, opts.copy);
  const stream = await openFrames(source.file, { width, height, fps, info: source.info, signal: opts.signal, startSec: opts.startSec, durationSec: opts.durationSec, layout: 'gray' });
  for await (const f of stream.frames) {
    const g = f.pixels;
    boxes.forEach(([x0, y0, x1, y1], k) => {
      let s = 0;
      if (prev) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += Math.abs(g[y * width + x] - prev[y * width + x]);
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
