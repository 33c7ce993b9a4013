import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { DEFAULT_STRENGTH, moveWeight, MOVE_FADE_SEC, strengthPower } from '../../../shared/stem-edit';
import { AppError } from '../../../shared/errors';
import { createWavWriter, WavRangeReader, type WavWriter } from '../media/wav';
import { FullRateSynth, type FullRateGrid } from '../separation/fullrate';

/**
 * Edits applied to a separation's stems (a "raw" set: a stem per source and the residual), after
 * the separation and without the model, so changing one source's edit redoes only its stem (and
 * those it hands audio to) and the residual:
 *
 * 0. A speaker's stem (real footage) starts from its stem as separated, cleaned again by the speech
 *    enhancer at its strength's amount (the job does that: `startFrom`), when that amount is not
 *    the one the separation cleaned it with.
 * 1. Strength: the source's stem is re-masked in the full-rate STFT. Its soft mask in each cell is
 *    estimated as r = |stem| / |mixture| (all channels together, at most 1), and the mask becomes
 *    r^p with p = strengthPower(strength): the stem's spectrum is scaled by r^(p-1). At the default
 *    strength the stem is not touched at all.
 * 2. Moved ranges, in the order they were made: the share moveWeight() of a source's stem in the
 *    range is taken out of it and added to another source's stem, or left out (the residual).
 * 3. The residual is the mixture (the raw residual plus the raw stems, and the stems of sources that
 *    are gone: `fold`) minus the edited stems, so the stems and the residual sum to the original
 *    exactly (to float precision), whatever the edits.
 *
 * Streaming: one block per stem in memory (plus one STFT window per re-masked stem).
 */

export interface EditedMove {
  startSec: number;
  endSec: number;
  /** Index into `sources` of the stem that receives the range; null: the residual. */
  to: number | null;
}

export interface EditSource {
  /** The raw stem (as separated). */
  file: string;
  strength: number;
  moves: EditedMove[];
}

export interface StemEditOptions {
  sources: EditSource[];
  /**
   * Per source, the stem its edit starts from when that is not its raw file (a speaker's stem
   * cleaned again by the speech enhancer); the raw file still counts in the mixture.
   */
  startFrom?: (Float32Array[] | null)[];
  /** The raw residual. */
  residual: string;
  /**
   * Stems of the set's sources that are gone (removed): their sound belongs to the residual, so
   * they count in the mixture and no stem is written for them.
   */
  fold?: string[];
  /** Media time of the stems' first sample (a preview starts later than 0 s). */
  startSec: number;
  /** STFT grid for re-masking (the separation's full-rate grid); needed only when a strength is not the default. */
  grid?: FullRateGrid;
  outDir: string;
  /** Moves of all sources in the order they were made: [source index, move]. */
  order?: [number, EditedMove][];
  /** Called after each block; may throw to stop (a cancelled job). */
  onProgress?: (fraction: number) => void;
}

export interface StemEditResult {
  /** Per source, the edited stem's file name in outDir, or null when it is the raw stem unchanged. */
  sources: (string | null)[];
  residual: string;
  sampleRate: number;
  channels: number;
  frames: number;
}

const BLOCK = 65536;

/** Which stems an edit changes: re-masked ones, and every source that gives or receives a range. */
export function changedSources(sources: EditSource[]): boolean[] {
  const changed = sources.map((s) => s.strength !== DEFAULT_STRENGTH || s.moves.length > 0);
  for (const s of sources) for (const m of s.moves) if (m.to !== null) changed[m.to] = true;
  return changed;
}

/** Moves of all sources by the order they were made (the order given, else source by source). */
function moveOrder(opts: StemEditOptions): [number, EditedMove][] {
  return opts.order ?? opts.sources.flatMap((s, k) => s.moves.map((m) => [k, m] as [number, EditedMove]));
}

/**
 * Re-masks one stem by its strength, streaming: in goes the stem's block and the mixture's, out
 * come the re-masked stem's samples as they are final (one window later).
 */
class Remasker {
  private readonly synth: FullRateSynth;
  private readonly power: number;
  private readonly out: Float32Array[][] = [];

  constructor(
    grid: FullRateGrid,
    private readonly channels: number,
    strength: number,
  ) {
    // Stem channels, then the mixture's: one mask per frame from both, applied to all of them
    // (only the stem's part is kept).
    this.synth = new FullRateSynth(grid, 2 * channels, 1, false);
    this.power = strengthPower(strength);
  }

  private mask = (out: Float32Array[], re: readonly Float64Array[], im: readonly Float64Array[]): void => {
    const m = out[0];
    const C = this.channels;
    for (let k = 0; k < m.length; k++) {
      let es = 0;
      let ex = 0;
      for (let c = 0; c < C; c++) es += re[c][k] * re[c][k] + im[c][k] * im[c][k];
      for (let c = C; c < 2 * C; c++) ex += re[c][k] * re[c][k] + im[c][k] * im[c][k];
      // r^(p-1) scales the stem to a mask of r^p of the mixture; r is at most 1 (a stem louder
      // than the mixture in a cell is the mixture's phase cancelling, not more than all of it).
      const r = ex > 1e-24 ? Math.sqrt(es / ex) : 1;
      m[k] = es === 0 || r >= 1 ? 1 : Math.pow(r, this.power - 1);
    }
  };

  private readonly sink = {
    write: async (o: Float32Array[][]) => {
      this.out.push(o[0].slice(0, this.channels));
    },
  };

  async push(stem: Float32Array[], mix: Float32Array[], end: boolean): Promise<void> {
    if (stem[0].length > 0) this.synth.push([...stem, ...mix]);
    if (end) this.synth.end();
    while (this.synth.canCompute(this.synth.next)) this.synth.computeFrame(this.mask);
    await this.synth.drain(this.sink, end);
  }

  /** The samples finished so far (taken out of the remasker). */
  take(): Float32Array[][] {
    return this.out.splice(0);
  }
}

/** Blocks of samples in order, taken out by length. */
class Queue {
  private chunks: Float32Array[][] = [];
  length = 0;

  constructor(private readonly channels: number) {}

  add(chunk: Float32Array[]): void {
    if (chunk[0].length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk[0].length;
  }

  take(n: number): Float32Array[] {
    const out = Array.from({ length: this.channels }, () => new Float32Array(n));
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0];
      const k = Math.min(n - filled, head[0].length);
      for (let c = 0; c < this.channels; c++) out[c].set(head[c].subarray(0, k), filled);
      if (k === head[0].length) this.chunks.shift();
      else this.chunks[0] = head.map((ch) => ch.subarray(k));
      filled += k;
    }
    this.length -= n;
    return out;
  }
}

export async function applyStemEdits(opts: StemEditOptions): Promise<StemEditResult> {
  const readers: WavRangeReader[] = [];
  const writers: WavWriter[] = [];
  try {
    const fold = opts.fold ?? [];
    for (const f of [...opts.sources.map((s) => s.file), opts.residual, ...fold]) readers.push(await WavRangeReader.open(f));
    const { sampleRate: rate, channels } = readers[0].layout;
    const frames = readers[0].frames;
    for (const r of readers) {
      if (r.layout.sampleRate !== rate || r.layout.channels !== channels || r.frames !== frames) {
        throw new AppError('media_error', 'The stems of this separation differ in rate, channels or length; separate again.');
      }
    }
    const N = opts.sources.length;
    const starts = opts.sources.map((_, k) => opts.startFrom?.[k] ?? null);
    for (const [k, start] of starts.entries()) {
      if (start && (start.length !== channels || start.some((ch) => ch.length !== frames))) throw new RangeError(`the stem that source ${k + 1}'s edit starts from differs from its raw stem in channels or length`);
    }
    const changed = changedSources(opts.sources).map((c, k) => c || starts[k] !== null);
    const grid = opts.grid;
    if (!grid && opts.sources.some((s) => s.strength !== DEFAULT_STRENGTH)) throw new RangeError('a strength other than the default needs the separation\'s STFT grid');
    const remaskers = opts.sources.map((s) => (s.strength !== DEFAULT_STRENGTH ? new Remasker(grid!, channels, s.strength) : null));
    const queues = opts.sources.map(() => new Queue(channels));
    const mixQueue = new Queue(channels);
    const order = moveOrder(opts);
    await fsp.mkdir(opts.outDir, { recursive: true });
    const names = opts.sources.map((_, k) => (changed[k] ? `source-${k + 1}.wav` : null));
    const stemWriters = new Map<number, WavWriter>();
    for (let k = 0; k < N; k++) {
      if (!names[k]) continue;
      const w = await createWavWriter(path.join(opts.outDir, names[k]!), { sampleRate: rate, channels, format: 'f32' });
      writers.push(w);
      stemWriters.set(k, w);
    }
    const residualWriter = await createWavWriter(path.join(opts.outDir, 'residual.wav'), { sampleRate: rate, channels, format: 'f32' });
    writers.push(residualWriter);

    let emitted = 0;
    /** Edits and writes every sample all queues hold. */
    const emit = async () => {
      const n = Math.min(mixQueue.length, ...queues.map((q) => q.length));
      if (n <= 0) return;
      const stems = queues.map((q) => q.take(n));
      const mix = mixQueue.take(n);
      const first = opts.startSec * rate + emitted;
      const fade = MOVE_FADE_SEC / 2;
      for (const [k, m] of order) {
        const a = Math.max(0, Math.floor((m.startSec - fade) * rate - first));
        const b = Math.min(n, Math.ceil((m.endSec + fade) * rate - first) + 1);
        for (let i = a; i < b; i++) {
          const w = moveWeight((first + i) / rate, m.startSec, m.endSec);
          if (w === 0) continue;
          for (let c = 0; c < channels; c++) {
            const part = Math.fround(w * stems[k][c][i]);
            stems[k][c][i] -= part;
            if (m.to !== null) stems[m.to][c][i] += part;
          }
        }
      }
      for (const [k, w] of stemWriters) await w.write(stems[k]);
      // The mixture minus the stems as written (float32), so the files sum to the mixture.
      const residual = mix.map((ch, c) => {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          let v = ch[i];
          for (let k = 0; k < N; k++) v -= stems[k][c][i];
          out[i] = v;
        }
        return out;
      });
      await residualWriter.write(residual);
      emitted += n;
    };

    if (frames === 0) throw new AppError('media_error', 'The stems of this separation are empty; separate again.');
    for (let pos = 0; ; pos += BLOCK) {
      const count = Math.min(BLOCK, frames - pos);
      const blocks = await Promise.all(readers.map((r) => r.readFrames(pos, count)));
      const raw = blocks.slice(0, N);
      const gone = blocks.slice(N + 1);
      // The mixture in float64 sums, then one rounding: the raw files (and the folded ones) sum to it.
      const mix = blocks[N].map((res, c) => {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) {
          let v = res[i];
          for (let k = 0; k < N; k++) v += raw[k][c][i];
          for (const g of gone) v += g[c][i];
          out[i] = v;
        }
        return out;
      });
      const end = pos + count >= frames;
      for (let k = 0; k < N; k++) {
        const stem = starts[k]?.map((ch) => ch.slice(pos, pos + count)) ?? raw[k];
        const rm = remaskers[k];
        if (!rm) {
          queues[k].add(stem);
          continue;
        }
        await rm.push(stem, mix, end);
        for (const chunk of rm.take()) queues[k].add(chunk);
      }
      mixQueue.add(mix);
      await emit();
      opts.onProgress?.(frames > 0 ? Math.min(1, (pos + count) / frames) : 1);
      if (end) break;
    }
    if (emitted !== frames) throw new AppError('media_error', `stem edit wrote ${emitted} of ${frames} frames`);
    for (const w of writers) await w.close();
    return { sources: names, residual: 'residual.wav', sampleRate: rate, channels, frames };
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort().catch(() => undefined)));
    throw err;
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
  }
}
