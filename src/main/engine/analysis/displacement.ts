/**
 * How far each model cell of the picture is from its resting state, per analysed frame: the mean
 * absolute difference, in grey levels, between the frame and the median of the frames within
 * REST_SEC on each side, over blocks of BLOCK x BLOCK pixels. A thing lifted or held out while it
 * sounds stays away from its resting picture for as long as it sounds, and a thing that has just
 * stopped is back near it; the change from the frame before (pointing.ts) is as large in both.
 *
 * The frames arrive one by one (the analysis streams them), so each frame's row is ready once the
 * frames REST_SEC after it have been seen; a histogram per block over the frames in reach keeps
 * the median cheap (LEVELS grey levels per block, the median followed as frames come and go).
 */

/** Side of the square blocks compared, pixels: the picture's grain matters less than where it lies. */
const BLOCK = 2;
/** Grey levels per block: a median to within 4 levels is enough for a sprite against its ground. */
const LEVELS = 64;
/** Reach of the resting picture on each side of a frame, seconds: longer than most notes. */
const REST_SEC = 4;

/** Frames on each side of a frame that define its resting picture, at `fps`. */
export const restSpan = (fps: number) => Math.max(1, Math.round(REST_SEC * fps));

export class Displacement {
  private readonly cols: number;
  private readonly blocks: number;
  /** Model cell of each block, and each cell's block count. */
  private readonly cellOf: Int32Array;
  private readonly cellBlocks: Float32Array;
  private readonly blockPixels: Float32Array;
  /** Grey level (0..LEVELS-1) of every block of the last 2 span + 1 frames. */
  private readonly ring: Uint8Array[];
  /** Count of each level per block (blocks x LEVELS) over the frames in the ring. */
  private readonly counts: Uint16Array;
  /** Each block's median level as last found, and how many of the frames in reach lie below it. */
  private readonly medians: Uint8Array;
  private readonly below: Uint16Array;
  private readonly sums: Uint32Array;
  private readonly blockOfX: Int32Array;
  private added = 0;
  private next = 0;

  /**
   * Frames of width x height planar G, B, R pixels (the analysis' layout), model grid of `stride`
   * pixels; `span` frames on each side (restSpan).
   */
  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly grid: [number, number],
    stride: number,
    private readonly span: number,
  ) {
    this.cols = Math.ceil(width / BLOCK);
    const rows = Math.ceil(height / BLOCK);
    this.blocks = rows * this.cols;
    this.cellOf = new Int32Array(this.blocks);
    this.cellBlocks = new Float32Array(grid[0] * grid[1]);
    this.blockPixels = new Float32Array(this.blocks);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) this.blockPixels[Math.floor(y / BLOCK) * this.cols + Math.floor(x / BLOCK)]++;
    for (let b = 0; b < this.blocks; b++) {
      const r = Math.min(grid[0] - 1, Math.floor((Math.floor(b / this.cols) * BLOCK) / stride));
      const c = Math.min(grid[1] - 1, Math.floor(((b % this.cols) * BLOCK) / stride));
      this.cellOf[b] = r * grid[1] + c;
      this.cellBlocks[this.cellOf[b]]++;
    }
    this.sums = new Uint32Array(this.blocks);
    this.blockOfX = Int32Array.from({ length: width }, (_, x) => Math.floor(x / BLOCK));
    this.ring = Array.from({ length: 2 * span + 1 }, () => new Uint8Array(this.blocks));
    this.counts = new Uint16Array(this.blocks * LEVELS);
    this.medians = new Uint8Array(this.blocks);
    this.below = new Uint16Array(this.blocks);
  }

  /** Adds the next frame; returns the rows (one value per model cell) of the frames now complete, in order. */
  add(pixels: Uint8Array): Float32Array[] {
    const levels = this.ring[this.added % this.ring.length];
    this.grey(pixels, levels);
    this.count(levels, 1);
    this.added++;
    const out: Float32Array[] = [];
    while (this.next + this.span < this.added) out.push(this.row());
    return out;
  }

  /** The rows of the frames still waiting, once the last frame has been added. */
  finish(): Float32Array[] {
    const out: Float32Array[] = [];
    while (this.next < this.added) out.push(this.row());
    return out;
  }

  /** A frame's block levels into (1) or out of (-1) the histograms, and the counts below each median. */
  private count(levels: Uint8Array, by: 1 | -1): void {
    for (let b = 0; b < this.blocks; b++) {
      this.counts[b * LEVELS + levels[b]] += by;
      if (levels[b] < this.medians[b]) this.below[b] += by;
    }
  }

  /** Block grey levels of planar G, B, R pixels (luma weights), quantized to LEVELS. */
  private grey(pixels: Uint8Array, into: Uint8Array): void {
    const { width, height, cols, sums, blockOfX } = this;
    const plane = width * height;
    sums.fill(0);
    for (let y = 0; y < height; y++) {
      const row = ((y / BLOCK) | 0) * cols;
      const line = y * width;
      for (let x = 0; x < width; x++) {
        const i = line + x;
        sums[row + blockOfX[x]] += 150 * pixels[i] + 29 * pixels[plane + i] + 77 * pixels[2 * plane + i];
      }
    }
    // Luma in 256ths (0.587 G + 0.114 B + 0.299 R), in integers.
    for (let b = 0; b < this.blocks; b++) into[b] = Math.min(LEVELS - 1, Math.round(sums[b] / this.blockPixels[b] / (256 * (256 / LEVELS))));
  }

  /** Frame `next`'s row against the median of the frames in reach; then the oldest leaves the histograms. */
  private row(): Float32Array {
    const t = this.next;
    const inReach = Math.min(this.added, t + this.span + 1) - Math.max(0, t - this.span);
    const middle = inReach >> 1; // the same element a sort would put at inReach >> 1
    const levels = this.ring[t % this.ring.length];
    const { counts, medians, below } = this;
    const out = new Float32Array(this.grid[0] * this.grid[1]);
    for (let b = 0; b < this.blocks; b++) {
      // Move the block's median to the level holding the middle value; one frame in, one out,
      // it rarely moves far.
      const base = b * LEVELS;
      let median = medians[b], under = below[b];
      while (under > middle) under -= counts[base + --median];
      while (under + counts[base + median] <= middle) under += counts[base + median++];
      medians[b] = median;
      below[b] = under;
      out[this.cellOf[b]] += Math.abs(levels[b] - median);
    }
    for (let c = 0; c < out.length; c++) out[c] = this.cellBlocks[c] ? (out[c] / this.cellBlocks[c]) * (256 / LEVELS) : 0;
    const leaving = t - this.span;
    if (leaving >= 0) this.count(this.ring[leaving % this.ring.length], -1);
    this.next++;
    return out;
  }
}
