import { describe, expect, it } from 'vitest';
import { frameGeometry } from '../../../src/main/engine/media/geometry';
import { clickCell, neighbourhoodVector } from '../../../src/main/engine/separation/features';
import { originalGrid, toOriginal } from '../../../src/main/engine/analysis/localize';

const grid: [number, number] = [16, 28];
const stride = 8;

describe('clicks -> feature cells through FrameGeometry', () => {
  const cases = [
    ['16:9', 1920, 1080],
    ['4:3', 640, 480],
    ['portrait 9:16', 1080, 1920],
  ] as const;
  for (const [name, w, h] of cases) {
    it(`${name}, stretch (the card's fit): the frame's corners and centre land on the grid's`, () => {
      const spec = { geometry: frameGeometry(w, h, 224, 128, 'stretch'), stride, grid };
      expect(clickCell(spec, 0, 0)).toEqual({ row: 0, col: 0 });
      expect(clickCell(spec, 1, 1)).toEqual({ row: 15, col: 27 });
      expect(clickCell(spec, 0.5, 0.5)).toEqual({ row: 8, col: 14 });
      expect(clickCell(spec, 0.999, 0.001)).toEqual({ row: 0, col: 27 });
      // A point in original pixels: x = 0.3 * width -> 0.3 * 224 = 67.2 model px -> col 8.
      expect(clickCell(spec, 0.3, 0.7)).toEqual({ row: Math.floor((0.7 * 128) / 8), col: Math.floor((0.3 * 224) / 8) });
    });
  }

  it('portrait, letterbox: the frame occupies the middle columns only', () => {
    const g = frameGeometry(1080, 1920, 224, 128, 'letterbox');
    // 1080x1920 fitted into 224x128: scale 128/1920, width 72 px, bars of 76 px on each side.
    expect(g.scaledWidth).toBe(72);
    expect(g.offsetX).toBe(76);
    const spec = { geometry: g, stride, grid };
    expect(clickCell(spec, 0, 0.5)).toEqual({ row: 8, col: Math.floor(76 / 8) });
    expect(clickCell(spec, 1, 0.5)).toEqual({ row: 8, col: Math.floor(148 / 8) });
  });

  it('the 3x3 neighbourhood is weighted toward the centre and renormalised at edges', () => {
    const k = 2;
    const map = new Float32Array(k * 16 * 28);
    map[0 * 448 + 5 * 28 + 5] = 16; // channel 0, the centre cell
    map[1 * 448 + 4 * 28 + 4] = 16; // channel 1, a corner neighbour
    const v = neighbourhoodVector(map, k, grid, 5, 5);
    expect(v[0]).toBeCloseTo(4, 6); // weight 4/16
    expect(v[1]).toBeCloseTo(1, 6); // weight 1/16
    const corner = new Float32Array(k * 448).fill(3);
    expect(Array.from(neighbourhoodVector(corner, k, grid, 0, 0))).toEqual([3, 3]);
  });
});

describe('heatmaps over the original frame', () => {
  const heat = Float32Array.from({ length: 448 }, (_, i) => (i % 28) / 27);
  it('stretch: the original grid is the model grid, cell for cell', () => {
    const g = originalGrid(frameGeometry(1280, 720, 224, 128, 'stretch'), stride, grid);
    const out = toOriginal(g, heat);
    for (let i = 0; i < 448; i++) expect(out[i]).toBeCloseTo(heat[i], 6);
  });
  it('letterboxed portrait: the whole original width maps onto the middle columns', () => {
    const g = originalGrid(frameGeometry(1080, 1920, 224, 128, 'letterbox'), stride, grid);
    const out = toOriginal(g, heat);
    // Left edge of the original frame is model x = 76 -> between columns 9 and 10.
    expect(out[0]).toBeGreaterThan(heat[9] - 1e-6);
    expect(out[27]).toBeLessThan(heat[18] + 1e-6);
  });
});
