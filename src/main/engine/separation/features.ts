import { normalizedToModel, type FrameGeometry } from '../media/geometry';

/**
 * A click -> the feature grid: the clicked point (0..1 of the original frame, top-left origin) is
 * mapped into the model frame through the FrameGeometry the frames were decoded with, then to the
 * feature cell at stride `stride`. The source's feature vector is the 3x3 neighbourhood around
 * that cell weighted toward the centre ([1 2 1] x [1 2 1]), renormalised at the grid's edges.
 */

export interface Click {
  x: number;
  y: number;
  timeSec: number;
}

export interface GridSpec {
  geometry: FrameGeometry;
  stride: number;
  /** [rows, cols] of the feature grid. */
  grid: [number, number];
}

export function clickCell(spec: GridSpec, x: number, y: number): { row: number; col: number } {
  const p = normalizedToModel(spec.geometry, { x, y });
  const [rows, cols] = spec.grid;
  const col = Math.min(cols - 1, Math.max(0, Math.floor(p.x / spec.stride)));
  const row = Math.min(rows - 1, Math.max(0, Math.floor(p.y / spec.stride)));
  return { row, col };
}

const TAP = [1, 2, 1];

/** Weighted 3x3 average around (row, col) of a (K, rows, cols) map; out has K values. */
export function neighbourhoodVector(map: Float32Array, k: number, grid: [number, number], row: number, col: number): Float32Array {
  const [rows, cols] = grid;
  const out = new Float32Array(k);
  let wsum = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const r = row + dy, c = col + dx;
      if (r < 0 || r >= rows || c < 0 || c >= cols) continue;
      const w = TAP[dy + 1] * TAP[dx + 1];
      wsum += w;
      for (let ch = 0; ch < k; ch++) out[ch] += w * map[ch * rows * cols + r * cols + c];
    }
  }
  for (let ch = 0; ch < k; ch++) out[ch] /= wsum;
  return out;
}
