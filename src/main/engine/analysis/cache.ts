import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FrameGeometry } from '../media/geometry';
import { decodeHalf } from './half';
import { readPointing } from './pointing';

/**
 * On-disk cache of one media file's analysis by one model: visual features (float16), audio-visual
 * heatmaps (float32), the picture's movement (float16, pointing.ts) and its displacement from rest
 * (float16, displacement.ts) per video frame at the model's rate, and a grey copy of the picture
 * as point trackers see it (media/tracking-view.ts; where the ffmpeg in use can write one). Keyed
 * by the media's fingerprint and the model card's sha256, so the same clip opened again (any
 * project, the CLI) is not analysed twice. A cache folder is built under a
 * temporary name and renamed into place complete; meta.json inside it is what the analyses table
 * points at.
 */

/**
 * 2: frames decoded with full chroma interpolation (frames.ts); 3: motion features computed with
 * enough context at chunk edges (stages/motion.ts); 4: the picture's movement per cell, for the
 * pointing heatmaps (pointing.ts); 5: the picture's displacement from its resting state per cell
 * (displacement.ts). Caches of an older format are analysed again.
 */
export const CACHE_FORMAT = 5;

export interface AnalysisMeta {
  format: number;
  media: { quickHash: string; size: number; durationSec: number; path: string };
  model: { name: string; version: string; sha256: string };
  /** Model stages whose per-frame outputs are in this cache (['appearance'], later + 'motion'). */
  stages: string[];
  fps: number;
  frames: number;
  /** Feature channels and grid of the visual features. */
  features: number;
  grid: [number, number];
  featureStride: number;
  geometry: FrameGeometry;
  /** Per-frame files, and `tracking`: the tracking copy, when the ffmpeg in use could write one. */
  files: { visual: string; heatmaps: string; movement: string; displacement: string; tracking?: string } & Record<string, string>;
  seconds: number;
  createdAt: string;
}

export function defaultCacheRoot(): string {
  if (process.env.STEMSIGHT_CACHE_DIR) return path.resolve(process.env.STEMSIGHT_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'stemsight', 'analyses');
}

export function cacheDirFor(root: string, quickHash: string, size: number, cardSha: string): string {
  return path.join(root, `${quickHash.slice(0, 24)}-${size}-${cardSha.slice(0, 16)}`);
}

export class AnalysisCache {
  private constructor(
    readonly dir: string,
    readonly meta: AnalysisMeta,
    private readonly visual: fsp.FileHandle,
    private readonly heat: fsp.FileHandle,
  ) {}

  /** Open a complete cache folder, or null if there is none (or it is unreadable). */
  static async open(dir: string): Promise<AnalysisCache | null> {
    let meta: AnalysisMeta;
    try {
      meta = JSON.parse(await fsp.readFile(path.join(dir, 'meta.json'), 'utf8')) as AnalysisMeta;
    } catch {
      return null;
    }
    // meta.json's mtime is the cache's last use, for pruneAnalysisCaches.
    const now = new Date();
    await fsp.utimes(path.join(dir, 'meta.json'), now, now).catch(() => undefined);
    if (meta.format !== CACHE_FORMAT) return null;
    const frameValues = meta.features * meta.grid[0] * meta.grid[1];
    const cells = meta.grid[0] * meta.grid[1];
    const opened: fsp.FileHandle[] = [];
    const closeAll = () => Promise.all(opened.map((h) => h.close().catch(() => undefined)));
    try {
      const files = [[meta.files.visual, frameValues * 2], [meta.files.heatmaps, cells * 4], [meta.files.movement, cells * 2], [meta.files.displacement, cells * 2]] as const;
      for (const [file, frameBytes] of files) {
        const h = await fsp.open(path.join(dir, file), 'r');
        opened.push(h);
        if ((await h.stat()).size !== meta.frames * frameBytes) {
          await closeAll();
          return null;
        }
      }
      // The tracking copy, where the analysis wrote one (a copy cut short would not be named).
      if (meta.files.tracking && !((await fsp.stat(path.join(dir, meta.files.tracking)).catch(() => null))?.size ?? 0)) {
        await closeAll();
        return null;
      }
      const [visual, heat, movement, displacement] = opened;
      const cache = new AnalysisCache(dir, meta, visual, heat);
      // Read like any later stage's per-frame files (frameRangeFeatures), their sizes checked above.
      cache.extra.set('movement', movement);
      cache.extra.set('displacement', displacement);
      return cache;
    } catch {
      await closeAll();
      return null;
    }
  }

  /** The grey copy of the picture trackers read (media/tracking-view.ts), or null when this analysis has none. */
  get trackingCopy(): string | null {
    return this.meta.files.tracking ? path.join(this.dir, this.meta.files.tracking) : null;
  }

  get metaPath(): string {
    return path.join(this.dir, 'meta.json');
  }

  /** Index of the analysed frame shown at `timeSec` (clamped to the analysed range). */
  frameAt(timeSec: number): number {
    return Math.min(this.meta.frames - 1, Math.max(0, Math.floor(timeSec * this.meta.fps + 1e-9)));
  }

  /** Visual features (K x gh x gw) of one frame. */
  async visualFeatures(frame: number): Promise<Float32Array> {
    const n = this.meta.features * this.meta.grid[0] * this.meta.grid[1];
    const buf = Buffer.alloc(n * 2);
    await this.visual.read(buf, 0, buf.length, frame * n * 2);
    return decodeHalf(buf);
  }

  /** One frame of a float16 per-frame file a later stage added (meta.files[name]), `values` long. */
  async frameFeatures(name: string, frame: number, values: number): Promise<Float32Array> {
    return this.frameRangeFeatures(name, frame, 1, values);
  }

  /** Features of `count` consecutive frames from `first` (count x values), in one read. */
  async frameRangeFeatures(name: string, first: number, count: number, values: number): Promise<Float32Array> {
    let h = this.extra.get(name);
    if (!h) {
      const file = this.meta.files[name];
      if (!file) throw new Error(`analysis cache ${this.dir} has no '${name}' features`);
      h = await fsp.open(path.join(this.dir, file), 'r');
      this.extra.set(name, h);
    }
    const buf = Buffer.alloc(count * values * 2);
    await h.read(buf, 0, buf.length, first * values * 2);
    return decodeHalf(buf);
  }

  private readonly extra = new Map<string, fsp.FileHandle>();

  /**
   * Pointing heatmaps of `count` frames from `first` (count x gh x gw): where the sound comes from
   * as the user is shown it, the audio-visual heatmaps weighted by where the picture moves and
   * stands away from its rest.
   */
  async pointing(first: number, count: number): Promise<Float32Array> {
    const cells = this.meta.grid[0] * this.meta.grid[1];
    return readPointing(
      {
        frames: this.meta.frames,
        fps: this.meta.fps,
        grid: this.meta.grid,
        heatmaps: (f, n) => this.heatmaps(f, n),
        movement: (f, n) => this.frameRangeFeatures('movement', f, n, cells),
        displacement: (f, n) => this.frameRangeFeatures('displacement', f, n, cells),
      },
      first,
      count,
    );
  }

  /** Audio-visual heatmaps of `count` frames from `first` (count x gh x gw): how well each cell's picture matches the sound. */
  async heatmaps(first: number, count: number): Promise<Float32Array> {
    const cells = this.meta.grid[0] * this.meta.grid[1];
    const c = Math.max(0, Math.min(count, this.meta.frames - first));
    const buf = Buffer.alloc(c * cells * 4);
    await this.heat.read(buf, 0, buf.length, first * cells * 4);
    const out = new Float32Array(c * cells);
    for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(4 * i);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([this.visual.close().catch(() => undefined), this.heat.close().catch(() => undefined), ...[...this.extra.values()].map((h) => h.close().catch(() => undefined))]);
    this.extra.clear();
  }
}

export interface CacheEntry {
  dir: string;
  bytes: number;
  lastUsed: Date;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : ((await fsp.lstat(p).catch(() => null))?.size ?? 0);
  }
  return total;
}

/** The complete analyses under a cache root, least recently used first. */
export async function listAnalysisCaches(root: string): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (const e of await fsp.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue; // temp folders are the sweep's business
    const dir = path.join(root, e.name);
    const st = await fsp.stat(path.join(dir, 'meta.json')).catch(() => null);
    out.push({ dir, bytes: await folderBytes(dir), lastUsed: st?.mtime ?? new Date(0) });
  }
  return out.sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
}

/**
 * Keep the cache under maxBytes by removing the least recently used analyses (an analysis removed
 * is simply computed again when its media is opened). `keep` protects folders in use.
 */
export async function pruneAnalysisCaches(root: string, maxBytes: number, keep: ReadonlySet<string> = new Set()): Promise<CacheEntry[]> {
  const entries = await listAnalysisCaches(root);
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of entries) {
    if (total <= maxBytes) break;
    if (keep.has(e.dir)) continue;
    await fsp.rm(e.dir, { recursive: true, force: true });
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}
