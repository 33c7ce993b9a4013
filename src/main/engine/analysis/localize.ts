import { Cancelled } from '../../../shared/errors';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { createAtomicWriter, writeFileAtomic } from '../fs/atomic';
import { openFrames } from '../media/frames';
import { normalizedToModel, type FrameGeometry } from '../media/geometry';
import type { MediaInfo } from '../media/probe';
import type { AnalysisCache } from './cache';

/**
 * Heatmaps over the ORIGINAL frame: the model's feature grid covers the model frame, which the
 * FrameGeometry relates to the original one. Each output cell's centre (in the original frame) is
 * mapped into the model frame and the model grid is sampled there bilinearly; with the 'stretch'
 * fit the two grids coincide cell for cell.
 */

export interface OriginalGrid {
  rows: number;
  cols: number;
  /** Per output cell: the four model cells and weights to blend. */
  idx: Int32Array; // 4 per cell
  w: Float32Array; // 4 per cell
}

export function originalGrid(geometry: FrameGeometry, stride: number, grid: [number, number], rows = grid[0], cols = grid[1]): OriginalGrid {
  const [gh, gw] = grid;
  const idx = new Int32Array(rows * cols * 4);
  const w = new Float32Array(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = normalizedToModel(geometry, { x: (c + 0.5) / cols, y: (r + 0.5) / rows });
      const fx = Math.min(gw - 1, Math.max(0, p.x / stride - 0.5));
      const fy = Math.min(gh - 1, Math.max(0, p.y / stride - 0.5));
      const x0 = Math.floor(fx), y0 = Math.floor(fy);
      const x1 = Math.min(gw - 1, x0 + 1), y1 = Math.min(gh - 1, y0 + 1);
      const ax = fx - x0, ay = fy - y0;
      const o = (r * cols + c) * 4;
      idx.set([y0 * gw + x0, y0 * gw + x1, y1 * gw + x0, y1 * gw + x1], o);
      w.set([(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay], o);
    }
  }
  return { rows, cols, idx, w };
}

export function toOriginal(g: OriginalGrid, heat: Float32Array, offset = 0): Float32Array {
  const out = new Float32Array(g.rows * g.cols);
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v += g.w[4 * i + k] * heat[offset + g.idx[4 * i + k]];
    out[i] = Math.min(1, Math.max(0, v));
  }
  return out;
}

export interface LocalizeOutput {
  heatmaps: string;
  overlays: string[];
  grid: [number, number];
  frames: number;
}

/** heatmaps.json (streamed: an hour is ~30k frames) and one PNG overlay per second. */
/**
 * heat: the heatmap over the original grid at a time, in place of the analysis's (real footage:
 * speaking faces, detect/activity.ts speakingHeat).
 */
export async function writeLocalization(file: string, cache: AnalysisCache, info: MediaInfo, outDir: string, opts: { signal?: AbortSignal; onProgress?: (stage: string, f: number) => void; overlayWidth?: number; heat?: (timeSec: number, rows: number, cols: number) => Float32Array } = {}): Promise<LocalizeOutput> {
  const m = cache.meta;
  const g = originalGrid(m.geometry, m.featureStride, m.grid);
  const heatAt = async (frame: number, h: Float32Array | null, offset: number) =>
    opts.heat ? opts.heat(frame / m.fps, g.rows, g.cols) : toOriginal(g, h ?? (await cache.pointing(frame, 1)), offset);
  const cells = m.grid[0] * m.grid[1];
  await fsp.mkdir(outDir, { recursive: true });
  const jsonPath = path.join(outDir, 'heatmaps.json');
  const w = await createAtomicWriter(jsonPath);
  try {
    let pos = 0;
    const put = async (s: string) => {
      const b = Buffer.from(s);
      await w.handle.write(b, 0, b.length, pos);
      pos += b.length;
    };
    await put(`{"grid":[${g.rows},${g.cols}],"fps":${m.fps},"frames":[`);
    const block = 256;
    for (let f = 0; f < m.frames; f += block) {
      if (opts.signal?.aborted) throw new Cancelled();
      const h = await cache.pointing(f, block);
      const n = h.length / cells;
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        const vals = await heatAt(f + i, h, i * cells);
        parts.push(`{"time":${Math.round(((f + i) / m.fps) * 1e6) / 1e6},"values":[${Array.from(vals, (v) => Math.round(v * 1e4) / 1e4).join(',')}]}`);
      }
      await put((f > 0 ? ',' : '') + parts.join(','));
      opts.onProgress?.('writing heatmaps', (f + n) / m.frames / 2);
    }
    await put(']}\n');
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }

  // Overlays: the original frame each second (scaled to overlayWidth), heatmap blended in red.
  const overlays: string[] = [];
  const v = info.video!;
  const ow = Math.min(opts.overlayWidth ?? 640, Math.round(v.width * v.sampleAspect));
  const oh = Math.max(2, Math.round((ow * v.height) / (v.width * v.sampleAspect)));
  const stream = await openFrames(file, { width: ow, height: oh, fps: 1, fit: 'stretch', info, signal: opts.signal });
  const seconds = Math.max(1, Math.ceil(info.durationSec));
  for await (const fr of stream.frames) {
    const frame = cache.frameAt(fr.index);
    const heat = await heatAt(frame, null, 0);
    const png = new PNG({ width: ow, height: oh });
    for (let y = 0; y < oh; y++) {
      // Bilinear over the original grid's cell centres.
      const gy = Math.min(g.rows - 1, Math.max(0, ((y + 0.5) / oh) * g.rows - 0.5));
      const y0 = Math.floor(gy), y1 = Math.min(g.rows - 1, y0 + 1), ay = gy - y0;
      for (let x = 0; x < ow; x++) {
        const gx = Math.min(g.cols - 1, Math.max(0, ((x + 0.5) / ow) * g.cols - 0.5));
        const x0 = Math.floor(gx), x1 = Math.min(g.cols - 1, x0 + 1), ax = gx - x0;
        const h = (1 - ay) * ((1 - ax) * heat[y0 * g.cols + x0] + ax * heat[y0 * g.cols + x1]) + ay * ((1 - ax) * heat[y1 * g.cols + x0] + ax * heat[y1 * g.cols + x1]);
        const a = 0.65 * h;
        const i = (y * ow + x) * 3, o = (y * ow + x) * 4;
        png.data[o] = Math.round((1 - a) * fr.pixels[i] + a * 255);
        png.data[o + 1] = Math.round((1 - a) * fr.pixels[i + 1] + a * 255 * h * h);
        png.data[o + 2] = Math.round((1 - a) * fr.pixels[i + 2]);
        png.data[o + 3] = 255;
      }
    }
    const name = `overlay-${String(fr.index).padStart(5, '0')}s.png`;
    await writeFileAtomic(path.join(outDir, name), PNG.sync.write(png));
    overlays.push(name);
    opts.onProgress?.('writing overlays', 0.5 + Math.min(0.5, (fr.index + 1) / seconds / 2));
    if (opts.signal?.aborted) throw new Cancelled();
  }
  return { heatmaps: 'heatmaps.json', overlays, grid: [g.rows, g.cols], frames: m.frames };
}
