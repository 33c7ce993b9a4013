import { describe, expect, it } from 'vitest';
import { cellMovement, movementSpan, pointingHeat as pointingWithBoth, readPointing, heldHeat, holdSpan, type PointingSource } from '../../../src/main/engine/analysis/pointing';
import { Displacement, restSpan } from '../../../src/main/engine/analysis/displacement';

/** A one-plane 8 x 4 picture (two rows of four 2 x 2 cells) with a bright 2 x 2 square at (x, y). */
function picture(x: number, y: number): Uint8Array {
  const px = new Uint8Array(8 * 4).fill(20);
  for (let r = y; r < y + 2; r++) for (let c = x; c < x + 2; c++) px[r * 8 + c] = 220;
  return px;
}

describe('cellMovement', () => {
  it('is the mean change of each cell from the frame before, and zero for the first frame', () => {
    expect(Array.from(cellMovement(null, picture(0, 0), 8, 4, 1, [2, 4], 2))).toEqual(new Array(8).fill(0));
    // The square moves from cell (0, 0) to cell (0, 1): both cells change completely, the others not at all.
    const m = cellMovement(picture(0, 0), picture(2, 0), 8, 4, 1, [2, 4], 2);
    expect(Array.from(m)).toEqual([200, 200, 0, 0, 0, 0, 0, 0]);
  });

  it('averages the planes of a colour picture', () => {
    const prev = new Uint8Array(3 * 4).fill(0);
    const cur = Uint8Array.from([30, 30, 30, 30, 0, 0, 0, 0, 0, 0, 0, 0]); // one plane changes by 30
    expect(Array.from(cellMovement(prev, cur, 2, 2, 3, [1, 1], 2))).toEqual([10]);
  });
});

/** Pointing with a displacement of 0 everywhere: the movement decides alone. */
const pointingHeat = (heat: Float32Array, movement: Float32Array, grid: [number, number], before: number, span: number) =>
  pointingWithBoth(heat, movement, new Float32Array(movement.length), grid, before, span);

describe('pointingHeat', () => {
  const row = (n: number): [number, number] => [1, n];
  const round = (p: Float32Array) => Array.from(p).map((v) => Math.round(v * 100) / 100);

  it('points at the cell that moves even where the sound matches a still one better, as sure as the heatmap', () => {
    // A row of 7 cells: cell 0 matches the sound best but keeps still, cell 6 moves (40 above the noise).
    const heat = Float32Array.from([0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.6]);
    const movement = Float32Array.from([0, 0, 0, 0, 0, 0, 42]);
    const p = pointingHeat(heat, movement, row(7), 0, 1);
    expect(p.indexOf(Math.max(...p))).toBe(6);
    // The moving cell takes the heatmap's maximum (0.6 rescaled by 0.9 / 0.6); a still cell out of
    // its reach keeps a tenth of its weight; a still neighbour within reach keeps 0.1 + 0.9 x 0.75.
    expect(p[6]).toBeCloseTo(0.9);
    expect(p[0]).toBeCloseTo(0.9 * 0.1 * 1.5);
    expect(p[5]).toBeCloseTo(0.1 * 0.775 * 1.5);
    expect(p[3]).toBeCloseTo(0.1 * 0.1 * 1.5);
  });

  it('covers the still middle of a thing that moves at its edges, not the still picture beyond', () => {
    // A thing over cells 4..8 of 13 moves at its edges only (cells 4 and 8), as a lifted sprite does.
    const heat = new Float32Array(13).fill(0.5);
    const movement = new Float32Array(13);
    movement[4] = movement[8] = 42;
    const p = pointingHeat(heat, movement, row(13), 0, 1);
    expect(p[4]).toBeCloseTo(0.5);
    // The middle stays above half the maximum (cIoU's threshold), the picture 3 cells beyond an edge at a tenth.
    expect(p[6]).toBeCloseTo(0.5 * 0.775);
    expect(p[1]).toBeCloseTo(0.05);
    expect(p[11]).toBeCloseTo(0.05);
  });

  it('reaches along rows and columns alike', () => {
    // A 5 x 5 grid, only the centre moves: every cell is within two of it.
    const heat = new Float32Array(25).fill(0.5);
    const movement = new Float32Array(25);
    movement[12] = 42;
    const p = round(pointingHeat(heat, movement, [5, 5], 0, 1));
    expect(p[12]).toBe(0.5);
    expect(new Set(p.filter((_, i) => i !== 12))).toEqual(new Set([0.39]));
  });

  it('leaves the heatmap as it is where nothing moves more than compression noise', () => {
    const heat = Float32Array.from([0.9, 0.6, 0.1]);
    expect(Array.from(pointingHeat(heat, Float32Array.from([1, 1.5, 0.5]), row(3), 0, 1))).toEqual(Array.from(heat));
  });

  it('counts the movement of the frames within the span on both sides, and no further', () => {
    // Frames 0..4 of a row of 6 cells; only frame 4 moves, in cell 5. Frame 2 with span 2 sees it, with span 1 it does not.
    const cells = 6;
    const heat = new Float32Array(cells).fill(0.5);
    const movement = new Float32Array(5 * cells);
    movement[4 * cells + 5] = 30;
    expect(round(pointingHeat(heat, movement, row(cells), 2, 2))).toEqual([0.05, 0.05, 0.05, 0.39, 0.39, 0.5]);
    expect(Array.from(pointingHeat(heat, movement, row(cells), 2, 1))).toEqual(Array.from(heat));
  });

  it('takes the movement from `before` frames into the range it is given', () => {
    // Two heat frames of a row of 6 cells; movement starts one frame earlier (frames -1, 0, 1), only frame -1 moves, in cell 0.
    const cells = 6;
    const heat = new Float32Array(2 * cells).fill(0.5);
    const movement = new Float32Array(3 * cells);
    movement[0] = 30;
    const p = round(pointingHeat(heat, movement, row(cells), 1, 1));
    expect(p).toEqual([0.5, 0.39, 0.39, 0.05, 0.05, 0.05, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('prefers a thing held away from its rest to one moving back to it, where both move alike', () => {
    // A row of 12 cells: cells 1 and 10 both changed as much over the span; cell 10 is still away
    // from its rest (its note sounds), cell 1 is back at it (its note has ended). The sound
    // matches cell 1 a little better.
    const heat = new Float32Array(12).fill(0.1);
    heat[1] = 0.6;
    heat[10] = 0.5;
    const movement = new Float32Array(12);
    movement[1] = movement[10] = 42;
    const displacement = new Float32Array(12);
    displacement[10] = 30;
    const byMovement = pointingHeat(heat, movement, row(12), 0, 1);
    expect(byMovement.indexOf(Math.max(...byMovement))).toBe(1);
    const both = pointingWithBoth(heat, movement, displacement, row(12), 0, 1);
    expect(both.indexOf(Math.max(...both))).toBe(10);
    // Each cue weighs 0.1 + 0.9 x (0.25 x own + 0.75 x near) of its maximum; the product's root.
    expect(both[10]).toBeCloseTo(0.6); // the maximum stays the heatmap's
    expect(both[1] / both[10]).toBeCloseTo((0.6 * Math.sqrt(1 * 0.1)) / 0.5, 5);
  });

  it('spans about a third of a second at any frame rate', () => {
    expect(movementSpan(8)).toBe(3);
    expect(movementSpan(30)).toBe(11);
    expect(movementSpan(1)).toBe(1);
  });
});

describe('readPointing', () => {
  /** An in-memory analysis of `frames` frames of one row of `cells` cells at 8 fps. */
  const source = (frames: number, cells: number, heat: (f: number, c: number) => number, movement: (f: number, c: number) => number): PointingSource => {
    const fill = (v: (f: number, c: number) => number) => (first: number, count: number) =>
      Promise.resolve(Float32Array.from({ length: Math.max(0, Math.min(count, frames - first)) * cells }, (_, i) => v(first + Math.floor(i / cells), i % cells)));
    return { frames, fps: 8, grid: [1, cells], heatmaps: fill(heat), movement: fill(movement), displacement: fill(() => 0) };
  };
  const peak = (p: Float32Array, cells: number) =>
    Array.from({ length: p.length / cells }, (_, f) => {
      const frame = Array.from(p.subarray(f * cells, (f + 1) * cells));
      return frame.indexOf(Math.max(...frame));
    });

  it('keeps pointing at a speaker between syllables, where the sound matches it in every other frame only', async () => {
    // Cell 6 speaks and moves all along; the sound matches it in even frames only (a quiet
    // stretch between syllables matches nothing). Cell 0 keeps still and matches 0.9 throughout.
    const src = source(12, 7, (f, c) => (c === 0 ? 0.9 : c === 6 ? (f % 2 ? 0 : 1) : 0.1), (_, c) => (c === 6 ? 42 : 0));
    expect(peak(await readPointing(src, 0, 12), 7)).toEqual(new Array(12).fill(6));
  });

  it('holds a match for a few frames, fading by half every eighth of a second, both ways', () => {
    // One cell at 8 fps, matched in frame 4 only: a frame away it holds half, three away an eighth, then nothing.
    const heat = Float32Array.from({ length: 9 }, (_, f) => (f === 4 ? 1 : 0));
    expect(Array.from(heldHeat(heat, 1, 8))).toEqual([0, 0.125, 0.25, 0.5, 1, 0.5, 0.25, 0.125, 0]);
    // A match of its own is never lowered, and the same hold at 30 fps reaches about as long.
    expect(heldHeat(Float32Array.from([0.3, 0.9, 0.4]), 1, 8)[2]).toBeCloseTo(0.45);
    expect(holdSpan(8)).toBe(3);
    expect(holdSpan(30)).toBe(11);
  });

  it('reads the same frames alone as within a longer range', async () => {
    const src = source(20, 5, (f, c) => ((f * 7 + c * 3) % 10) / 10, (f, c) => ((f + c) % 4) * 10);
    const all = await readPointing(src, 0, 20);
    for (const [first, count] of [[0, 3], [5, 4], [17, 3]]) expect(await readPointing(src, first, count)).toEqual(all.subarray(first * 5, (first + count) * 5));
  });
});

describe('Displacement: how far each cell is from its resting picture', () => {
  /** Planar G, B, R frames of 8 x 4 pixels (cells of 4 x 4: grid 1 x 2), grey `ground` with a 2 x 2 square of `ink` at (x, y). */
  const frame = (x: number, y: number, ground = 40, ink = 200) => {
    const plane = new Uint8Array(32).fill(ground);
    for (let r = y; r < y + 2; r++) for (let c = x; c < x + 2; c++) plane[r * 8 + c] = ink;
    return Uint8Array.from([...plane, ...plane, ...plane]);
  };
  const run = (frames: Uint8Array[], span: number) => {
    const d = new Displacement(8, 4, [1, 2], 4, span);
    const rows: Float32Array[] = [];
    for (const f of frames) rows.push(...d.add(f));
    rows.push(...d.finish());
    return rows;
  };

  it('is high while a thing is held away from where it rests, and 0 once it is back, one row per frame in order', () => {
    // The square rests at (0, 2) and is lifted to (0, 0) in frames 10..14 of 30.
    const frames = Array.from({ length: 30 }, (_, t) => frame(0, t >= 10 && t < 15 ? 0 : 2));
    const rows = run(frames, 8);
    expect(rows).toHaveLength(30);
    // Lifted: of the left cell's four 2 x 2 blocks, one turns from ground to ink and one from ink
    // to ground (160 grey levels each): a mean of 80 over the cell.
    for (let t = 10; t < 15; t++) expect(rows[t][0]).toBeCloseTo(80, 4);
    for (const t of [0, 9, 15, 29]) expect(rows[t][0]).toBe(0);
    for (const r of rows) expect(r[1]).toBe(0); // the right cell never changes
  });

  it('takes the median of the frames within the span on each side, as a sort over them would', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const frames = Array.from({ length: 23 }, () => Uint8Array.from({ length: 96 }, () => Math.floor(rand() * 256)));
    const span = 4;
    const rows = run(frames, span);
    // Direct: each 2 x 2 block's grey level (luma of planes G, B, R in 256ths), quantized to 64 levels.
    const level = (f: Uint8Array, bx: number, by: number) => {
      let sum = 0;
      for (let y = 2 * by; y < 2 * by + 2; y++) for (let x = 2 * bx; x < 2 * bx + 2; x++) sum += 150 * f[y * 8 + x] + 29 * f[32 + y * 8 + x] + 77 * f[64 + y * 8 + x];
      return Math.min(63, Math.round(sum / 4 / 256 / 4));
    };
    for (let t = 0; t < frames.length; t++) {
      const reach = frames.slice(Math.max(0, t - span), t + span + 1);
      const expected = [0, 0];
      for (let by = 0; by < 2; by++) {
        for (let bx = 0; bx < 4; bx++) {
          const sorted = reach.map((f) => level(f, bx, by)).sort((a, b) => a - b);
          expected[bx < 2 ? 0 : 1] += (Math.abs(level(frames[t], bx, by) - sorted[sorted.length >> 1]) * 4) / 4;
        }
      }
      expect(rows[t][0]).toBeCloseTo(expected[0], 4);
      expect(rows[t][1]).toBeCloseTo(expected[1], 4);
    }
  });

  it('reaches about four seconds at any frame rate', () => {
    expect(restSpan(8)).toBe(32);
    expect(restSpan(30)).toBe(120);
  });
});
