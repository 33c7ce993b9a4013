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
  const cells = 3;

  it('points at the cell that moves even where the sound matches a still one better, as sure as the heatmap', () => {
    const heat = Float32Array.from([0.9, 0.6, 0.1]);
    const movement = Float32Array.from([0, 40, 0]);
    const p = pointingHeat(heat, movement, cells, 0, 1);
    expect(p.indexOf(Math.max(...p))).toBe(1);
    // The moving cell takes the heatmap's maximum; a still one keeps a tenth of its weight against it.
    expect(p[1]).toBeCloseTo(0.9);
    expect(p[0]).toBeCloseTo(0.9 * 0.1 * 1.5);
    expect(p[2]).toBeCloseTo(0.1 * 0.1 * 1.5);
  });

  it('leaves the heatmap as it is where nothing moves more than compression noise', () => {
    const heat = Float32Array.from([0.9, 0.6, 0.1]);
    expect(Array.from(pointingHeat(heat, Float32Array.from([1, 1.5, 0.5]), cells, 0, 1))).toEqual(Array.from(heat));
  });

  it('counts the movement of the frames within the span on both sides, and no further', () => {
    // Frames 0..4; only frame 4 moves, in cell 2. Frame 2 with span 2 sees it, with span 1 it does not.
    const heat = Float32Array.from([0.5, 0.5, 0.5]);
    const movement = new Float32Array(5 * cells);
    movement[4 * cells + 2] = 30;
    expect(Array.from(pointingHeat(heat, movement, cells, 2, 2)).map((v) => Math.round(v * 100) / 100)).toEqual([0.05, 0.05, 0.5]);
    expect(Array.from(pointingHeat(heat, movement, cells, 2, 1))).toEqual([0.5, 0.5, 0.5]);
  });

  it('takes the movement from `before` frames into the range it is given', () => {
    // Two heat frames; movement starts one frame earlier (frames -1, 0, 1), only frame -1 moves.
    const heat = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const movement = Float32Array.from([30, 0, 0, 0, 0, 0, 0, 0, 0]);
    const p = Array.from(pointingHeat(heat, movement, cells, 1, 1)).map((v) => Math.round(v * 100) / 100);
    expect(p).toEqual([0.5, 0.05, 0.05, 0.5, 0.5, 0.5]);
  });

  it('spans about a third of a second at any frame rate', () => {
    expect(movementSpan(8)).toBe(3);
    expect(movementSpan(30)).toBe(11);
    expect(movementSpan(1)).toBe(1);
  });
});
