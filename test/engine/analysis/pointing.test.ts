import { describe, expect, it } from 'vitest';
import { cellMovement, movementSpan, pointingHeat } from '../../../src/main/engine/analysis/pointing';

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

  it('spans about a third of a second at any frame rate', () => {
    expect(movementSpan(8)).toBe(3);
    expect(movementSpan(30)).toBe(11);
    expect(movementSpan(1)).toBe(1);
  });
});
