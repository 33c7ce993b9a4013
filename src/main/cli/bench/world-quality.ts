import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '../../engine/media/probe';
import { readAudio } from '../../engine/media/audio';
import { ModelRuntime } from '../../engine/models/runtime';
import { analyzeMedia } from '../../engine/analysis/analyze';
import { separate } from '../../engine/separation/separate';
import { stopMaskWorker } from '../../engine/separation/mask-client';
import { idealBinaryMask, localizationScores, loudestClicks, makeClip, mean, mono11k, readMono11k, sdr, stemFiles } from './app';
import { f2 } from './format';
import { UsageError } from '../args';

/**
 * App-path separation quality across the world's timbre variations: the test seeds' own timbres
 * next to timbres no training uses ('heldout': FluidR3's held-out programs and espeak voice;
 * 'unseen': the held-out sound set and voices, the figure that predicts users' files; 'real': real
 * recordings of players and speakers no training uses; 'canonical': the test seeds with every
 * instrument on the world's own program, so that a same-class pair shares one timbre as it does in
 * 'heldout' and 'real', where the test seeds' pairs mostly draw two programs of the family).
 * Clips, clicks and scoring as the app suite's; every clip separated with and without the
 * movement share.
 */

/** 'test' is the app suite's clips (clips.py's default variation); the others are clips.py's --variation. */
export const WORLD_VARIATIONS = ['test', 'heldout', 'unseen', 'real', 'canonical'] as const;
export type WorldVariation = (typeof WORLD_VARIATIONS)[number];
export const WORLD_KINDS = ['diff2', 'same2', 'speech_inst', 'three', 'two_speakers'] as const;

export interface WorldQualityOptions {
  quick: boolean;
  /** Clip length, s (default 8). */
  seconds?: number;
  /**
   * Where the clips come from: 'test' (the figures the docs quote) or 'val' (the validation split,
   * the clips a rule is chosen on: the same indices draw other scenes there).
   */
  split?: WorldSplit;
  variations: WorldVariation[];
  log: (s: string) => void;
}

export interface WorldClipRow {
  variation: WorldVariation;
  kind: string;
  index: number;
  classes: string[];
  aspect: string;
  rate: number;
  /** Mean SDR over the clip's sources, dB. */
  app: number;
  withoutMovement: number;
  copyPaste: number;
  ibm: number;
  /**
   * Analysed frames in which a source sounds, and in how many the pointing heatmap's maximum fell in
   * a sounding source's box (`soundPointingHits`: the audio-visual heatmap's, without the movement).
   */
  soundingFrames: number;
  pointingHits: number;
  soundPointingHits: number;
}

export interface WorldQualityRow {
  variation: WorldVariation;
  kind: string;
  clips: number;
  app: number;
  withoutMovement: number;
  copyPaste: number;
  ibm: number;
  /** Pointing over the kind's sounding frames (all its clips pooled), as the app bench scores it. */
  pointing: number;
  /** The same for the audio-visual heatmaps alone (without the picture's movement). */
  pointingWithoutMovement: number;
}

export interface WorldQualityFigures {
  rows: WorldQualityRow[];
  clips: WorldClipRow[];
  /** Clips that could not be made or separated, with the reason; they are left out of the means. */
  failures: string[];
  split: WorldSplit;
  clipSeconds: number;
  clipsPerKind: number;
  variations: WorldVariation[];
  provider: string;
  model: { name: string; version: string; sha256: string };
}

/** `--variations a,b` -> the variations, in the order given. */
export function parseVariations(s: string): WorldVariation[] {
  const names = s.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = names.filter((n) => !(WORLD_VARIATIONS as readonly string[]).includes(n));
  if (!names.length || bad.length) throw new UsageError(`--variations takes a comma-separated list of ${WORLD_VARIATIONS.join(', ')} (got '${s}')`);
  return [...new Set(names)] as WorldVariation[];
}

export type WorldSplit = 'test' | 'val';

/** `--split x` -> the split. */
export function parseSplit(s: string): WorldSplit {
  if (s !== 'test' && s !== 'val') throw new UsageError(`--split takes test (the figures the docs quote) or val (the validation split, to choose a rule on); got '${s}'`);
  return s;
}

/** Seed indices of a kind's clips (in the split asked for): distinct per kind, the same in every variation (paired figures). */
const clipIndex = (kindNo: number, i: number) => 1000 + 100 * kindNo + i;

export async function runWorldQualityBench(root: string, opts: WorldQualityOptions): Promise<WorldQualityFigures> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-world-'));
  const cacheRoot = path.join(tmp, 'cache');
  const rt = await ModelRuntime.create({ device: 'auto' });
  try {
    const perKind = opts.quick ? 2 : 6;
    const seconds = opts.seconds ?? 8;
    const split = opts.split ?? 'test';
    const clips: WorldClipRow[] = [];
    const failures: string[] = [];
    for (const variation of opts.variations) {
      let clipNo = 0;
      for (const [kindNo, kind] of WORLD_KINDS.entries()) {
        for (let i = 0; i < perKind; i++, clipNo++) {
          const aspect = clipNo % 2 ? '4:3' : '16:9';
          const rate = clipNo % 2 ? 48000 : 44100;
          const index = clipIndex(kindNo, i);
          const dir = path.join(tmp, `${variation}-${kind}-${i}`);
          opts.log(`bench world-quality: ${variation} ${kind} clip ${i + 1}/${perKind} (${split} seed ${index}, ${aspect}, ${rate} Hz)`);
          try {
            clips.push(await scoreClip(root, rt, cacheRoot, dir, { variation, kind, index, seconds, aspect, rate, split }));
          } catch (e) {
            const why = failureReason(e);
            failures.push(`${variation} ${kind} ${split} seed ${index}: ${why}`);
            opts.log(`bench world-quality: failed: ${why}`);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
    }
    const rows = opts.variations.flatMap((variation) =>
      WORLD_KINDS.map((kind) => {
        const mine = clips.filter((c) => c.variation === variation && c.kind === kind);
        const avg = (pick: (c: WorldClipRow) => number) => mean(mine.map(pick));
        return { variation, kind, clips: mine.length, app: avg((c) => c.app), withoutMovement: avg((c) => c.withoutMovement), copyPaste: avg((c) => c.copyPaste), ibm: avg((c) => c.ibm), pointing: pointingOf(mine), pointingWithoutMovement: pointingOf(mine, (c) => c.soundPointingHits) };
      }),
    );
    return { rows, clips, failures, split, clipSeconds: seconds, clipsPerKind: perKind, variations: opts.variations, provider: rt.provider, model: { name: rt.card.name, version: rt.card.modelVersion, sha256: rt.card.sha256 } };
  } finally {
    await stopMaskWorker();
    await rt.release();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A failed clip's reason: the last line the clip writer printed, else the error's message. */
function failureReason(e: unknown): string {
  const stderr = (e as { stderr?: Buffer | string } | null)?.stderr?.toString().trim();
  return stderr ? stderr.split('\n').pop()! : e instanceof Error ? e.message : String(e);
}

interface ClipSpec {
  variation: WorldVariation;
  kind: string;
  index: number;
  seconds: number;
  aspect: '16:9' | '4:3';
  rate: number;
  split: WorldSplit;
}

async function scoreClip(root: string, rt: ModelRuntime, cacheRoot: string, dir: string, c: ClipSpec): Promise<WorldClipRow> {
  const truth = makeClip(root, dir, c.index, c.kind, c.seconds, c.aspect, c.rate, c.variation === 'test' ? undefined : c.variation, c.split);
  const file = path.join(dir, 'clip.mp4');
  const info = await probeMedia(file);
  const a = await analyzeMedia(file, { runtime: rt, info, cacheRoot });
  try {
    const clicks = loudestClicks(truth);
    const refs = await readMono11k(dir, truth.sources.map((s) => s.file), truth.sampleRate);
    const separated = async (name: string, movement: boolean) => {
      const out = path.join(dir, name);
      await separate(file, clicks, { runtime: rt, cache: a.cache, info, outDir: out, format: 'f32', movement });
      return mean(sdr(refs, await readMono11k(out, stemFiles(truth), info.audio!.sampleRate)));
    };
    const mix = mono11k((await readAudio(file)).channels, info.audio!.sampleRate);
    // The mask's STFTs must have the same frames: mixture and references cut to their common length.
    const n = Math.min(mix.length, ...refs.map((r) => r.length));
    const { hits, soundHits } = await localizationScores(a.cache, truth);
    return {
      variation: c.variation,
      kind: truth.kind,
      index: c.index,
      classes: truth.sources.map((s) => s.class),
      aspect: c.aspect,
      rate: c.rate,
      app: await separated('stems', true),
      withoutMovement: await separated('stems-without-movement', false),
      copyPaste: mean(sdr(refs, refs.map(() => mix))),
      ibm: mean(sdr(refs, idealBinaryMask(mix.subarray(0, n), refs.map((r) => r.subarray(0, n))))),
      soundingFrames: hits.length,
      pointingHits: hits.reduce((a, h) => a + h, 0),
      soundPointingHits: soundHits.reduce((a, h) => a + h, 0),
    };
  } finally {
    await a.cache.close();
  }
}

/** Pointing pooled over the clips' sounding frames (NaN when none sounds); `hits` picks which heatmap's. */
const pointingOf = (clips: WorldClipRow[], hits: (c: WorldClipRow) => number = (c) => c.pointingHits) =>
  clips.reduce((a, c) => a + hits(c), 0) / clips.reduce((a, c) => a + c.soundingFrames, 0);

export function formatWorldQuality(r: WorldQualityFigures): string {
  const cols = ['app', 'without movement', 'copy-paste', 'IBM', 'pointing', 'pointing without movement'];
  const cells = (xs: { app: number; withoutMovement: number; copyPaste: number; ibm: number; pointing: number; pointingWithoutMovement: number }[]) =>
    xs.map((x) => `${f2(x.app)} | ${f2(x.withoutMovement)} | ${f2(x.copyPaste)} | ${f2(x.ibm)} | ${f2(x.pointing)} | ${f2(x.pointingWithoutMovement)}`).join(' | ');
  const allClips = (v: WorldVariation) => {
    const mine = r.clips.filter((c) => c.variation === v);
    return { app: mean(mine.map((c) => c.app)), withoutMovement: mean(mine.map((c) => c.withoutMovement)), copyPaste: mean(mine.map((c) => c.copyPaste)), ibm: mean(mine.map((c) => c.ibm)), pointing: pointingOf(mine), pointingWithoutMovement: pointingOf(mine, (c) => c.soundPointingHits) };
  };
  const count = (v: WorldVariation, kind: string) => r.rows.find((x) => x.variation === v && x.kind === kind)?.clips ?? 0;
  const short = r.variations.flatMap((v) => WORLD_KINDS.filter((k) => count(v, k) < r.clipsPerKind).map((k) => `${v} ${k}: ${count(v, k)} of ${r.clipsPerKind}`));
  return [
    `Model: ${r.model.name} ${r.model.version} (card sha256 ${r.model.sha256.slice(0, 12)}), provider ${r.provider}. SDR in dB (bss_eval at 11025 Hz mono, mean over each clip's sources, then over clips); ${r.clipsPerKind} ${r.split === 'val' ? 'validation-split clip(s) (for choosing rules; not test figures)' : 'test-seed clip(s)'} of ${r.clipSeconds} s per kind and variation, H.264 + AAC, 44.1/48 kHz stereo, 16:9 and 4:3. "without movement" = separate() with movement: false; IBM = ideal binary mask; pointing = share of the analysed frames in which a source sounds whose pointing heatmap's maximum (what the editor shows) falls in a sounding source's box; "pointing without movement" = the same for the audio-visual heatmap alone.`,
    '',
    `| kind | ${r.variations.map((v) => cols.map((c) => `${v}: ${c}`).join(' | ')).join(' | ')} |`,
    `|---|${r.variations.map(() => cols.map(() => '---').join('|')).join('|')}|`,
    ...WORLD_KINDS.map((kind) => `| ${kind} | ${cells(r.variations.map((v) => r.rows.find((x) => x.variation === v && x.kind === kind)!))} |`),
    `| all clips | ${cells(r.variations.map(allClips))} |`,
    ...(short.length ? ['', `Fewer clips than asked for (see failures): ${short.join('; ')}.`] : []),
    ...r.failures.map((f) => `\nFailed: ${f}`),
  ].join('\n');
}
