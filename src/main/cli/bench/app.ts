import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../engine/media/binaries';
import { probeMedia } from '../../engine/media/probe';
import { readAudio } from '../../engine/media/audio';
import { readWav } from '../../engine/media/wav';
import { toMono } from '../../engine/dsp/mono';
import { resample } from '../../engine/dsp/resample';
import { istft, magnitude, stft } from '../../engine/dsp/stft';
import { bssEvalSources } from '../../engine/metrics/bss_eval';
import { ModelRuntime } from '../../engine/models/runtime';
import { analyzeMedia } from '../../engine/analysis/analyze';
import type { AnalysisCache } from '../../engine/analysis/cache';
import { originalGrid, toOriginal } from '../../engine/analysis/localize';
import { separate } from '../../engine/separation/separate';
import { stopMaskWorker } from '../../engine/separation/mask-client';

/**
 * The app-path benchmark: held-out world clips from TEST seeds, encoded as users' files
 * (H.264 + AAC, 44.1/48 kHz stereo, 16:9 and 4:3), through decode -> analysis -> separation ->
 * full-rate stems, scored with the project's bss_eval at 11025 Hz mono next to copy-paste and the
 * ideal binary mask; localization against truth.json boxes; speed and memory.
 */

/** Previews timed (the median is reported). */
const PREVIEW_RUNS = 5;

export interface AppBenchOptions {
  quick?: boolean;
  /** Run the 60-minute memory check to the end instead of for a bounded time. */
  full?: boolean;
  /** Quality and the Python comparison only (no speed or memory runs). */
  qualityOnly?: boolean;
  log: (s: string) => void;
}

const KINDS = ['diff2', 'same2', 'speech_inst', 'three'] as const;
export const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** truth.json beside a world clip (training/world/clips.py). */
export interface Truth {
  kind: string;
  fps: number;
  width: number;
  height: number;
  sampleRate: number;
  sources: { class: string; file: string; envelope: number[] }[];
  frames: { time: number; boxes: number[][] }[];
}

export function checkPrerequisites(root: string): string | null {
  const r = spawnSync(PY, ['-c', 'import numpy, scipy, PIL'], { encoding: 'utf8' });
  if (r.status !== 0) return `the benchmark needs ${PY} with numpy, scipy and Pillow (apt-get install python3-numpy python3-scipy python3-pil)`;
  if (!existsSync(path.join(root, 'training/cache/bank.npz'))) return 'the benchmark needs the asset bank training/cache/bank.npz: run `python3 -m training.world.assets` in the repository first';
  return null;
}

/** A TEST-seed world clip as users' files come (H.264 + AAC stereo); variation: clips.py's --variation (default its own). */
export function makeClip(root: string, out: string, index: number, kind: string, seconds: number, aspect: '16:9' | '4:3', rate: number, variation?: string, split: 'test' | 'val' = 'test'): Truth {
  const width = aspect === '16:9' ? 640 : 480;
  execFileSync(PY, ['-m', 'training.world.clips', '--split', split, '--index', String(index), '--kind', kind, '--seconds', String(seconds), '--height', '360', '--width', String(width), '--rate', String(rate), '--channels', '2', ...(variation ? ['--variation', variation] : []), '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  return JSON.parse(readFileSync(path.join(out, 'truth.json'), 'utf8')) as Truth;
}

/** Each source clicked at its box centre in the frame where its envelope peaks. */
export function loudestClicks(truth: Truth): { x: number; y: number; timeSec: number }[] {
  return truth.sources.map((s, k) => {
    let t = 0;
    s.envelope.forEach((e, j) => {
      if (e > s.envelope[t]) t = j;
    });
    const frame = truth.frames[Math.min(t, truth.frames.length - 1)];
    const b = frame.boxes[k];
    return { x: (b[0] + b[2]) / 2 / truth.width, y: (b[1] + b[3]) / 2 / truth.height, timeSec: frame.time };
  });
}

/** WAVs in a folder (stems or a clip's source files) as mono 11025 Hz signals for scoring. */
export const readMono11k = (dir: string, files: string[], rate: number) =>
  Promise.all(files.map(async (f) => mono11k((await readWav(path.join(dir, f))).channels, rate)));

/** The stems separate() writes for a clip's sources. */
export const stemFiles = (truth: Truth) => truth.sources.map((_s, k) => `source-${k + 1}.wav`);

export const mono11k = (channels: Float32Array[], rate: number) => resample(toMono(channels), rate, 11025);
export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Each STFT bin of the mixture given to the loudest reference: the upper bound of a binary mask. */
export function idealBinaryMask(mix: Float32Array, refs: Float32Array[]): Float32Array[] {
  const X = stft(mix);
  const mags = refs.map((r) => magnitude(stft(r)));
  return refs.map((_, k) => {
    const re = new Float32Array(X.re.length), im = new Float32Array(X.im.length);
    for (let i = 0; i < re.length; i++) {
      let best = 0;
      for (let j = 1; j < refs.length; j++) if (mags[j][i] > mags[best][i]) best = j;
      if (best === k) {
        re[i] = X.re[i];
        im[i] = X.im[i];
      }
    }
    return istft({ ...X, re, im }, { length: mix.length });
  });
}

/** SDR of each estimate against its reference (bss_eval, no permutation), over their common length. */
export function sdr(refs: Float32Array[], ests: Float32Array[]): number[] {
  const n = Math.min(...refs.map((r) => r.length), ...ests.map((e) => e.length));
  return bssEvalSources(refs.map((r) => r.subarray(0, n)), ests.map((e) => e.subarray(0, n)), { computePermutation: false }).sdr;
}

export interface QualityRow {
  kind: string;
  clips: number;
  app: number;
  /** The app path without the movement share: the models alone, what the Python evaluation is compared with. */
  models: number;
  /** Appearance stage only, as the network gives it (no movement share), when the model also has the motion stage (else NaN). */
  appearanceOnly: number;
  /** The PyTorch models on the same clips without the file's coding (training/evaluate_clips.py), same scorer. */
  python: number;
  pythonAppearance: number;
  copyPaste: number;
  ibm: number;
  pointing: number;
  /** Pointing of the audio-visual heatmaps alone, without the picture's movement: the figure the Python reference's compares with. */
  pointingSound: number;
  ciou: number;
  pointingPython: number;
}

/** One clip of the quality set: app path and Python reference, mean SDR over its sources. */
export interface ClipRow {
  kind: string;
  aspect: string;
  rate: number;
  app: number;
  models: number;
  appearanceOnly: number;
  python: number;
  pythonAppearance: number;
  /** mir_eval's own figure for the Python estimates (a cross-check of the project's bss_eval). */
  pythonMirEval: number;
}

interface PythonClip {
  appearance: { file: string; sdr: number[] };
  two_stage: { file: string; sdr: number[] };
  pointing: number | null;
  ciou: number | null;
}

/** training/evaluate_clips.py on one clip folder: the exported models' PyTorch originals. */
function pythonReference(root: string, dir: string): PythonClip | null {
  const out = path.join(dir, 'python.json');
  const r = spawnSync(PY, ['-m', 'training.evaluate_clips', '--clip', dir, '--out', out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) return null;
  return (JSON.parse(readFileSync(out, 'utf8')) as { clips: PythonClip[] }).clips[0];
}

/** Whether a torch-capable Python is there for the comparison (else its columns are n/a). */
function hasTorch(): boolean {
  return spawnSync(PY, ['-c', 'import torch, mir_eval'], { encoding: 'utf8' }).status === 0;
}

/**
 * Truth frames shown during analysed frame f, i.e. whose 1/fps instants fall in [f, f + 1) / fps
 * of the analysis (the heatmap's audio span), at least the one nearest its start.
 */
export function truthFramesOf(f: number, analysisFps: number, truthFps: number, truthFrames: number): number[] {
  const a = Math.ceil((f / analysisFps) * truthFps - 1e-9), b = Math.ceil(((f + 1) / analysisFps) * truthFps - 1e-9);
  const out: number[] = [];
  for (let t = a; t < b && t < truthFrames; t++) out.push(t);
  return out.length ? out : [Math.min(truthFrames - 1, Math.round((f / analysisFps) * truthFps))];
}

/**
 * Sounding in an analysed frame: the envelope (RMS per truth frame over the clip's maximum) as an
 * RMS over the frame's 1/fps span exceeds 0.3, the world's threshold, so the decision covers the
 * same audio as the heatmap.
 */
export function soundingIn(envelope: number[], frames: number[]): boolean {
  const e = frames.map((t) => envelope[t] ?? 0);
  return Math.sqrt(e.reduce((a, v) => a + v * v, 0) / e.length) > 0.3;
}

/**
 * Localization against the truth boxes over every analysed frame in which a source sounds:
 * a pointing hit per frame (the pointing heatmap's maximum, what the user is shown, falls in a
 * sounding source's box in the picture analysed), the same for the audio-visual heatmap alone
 * (`soundHits`: the models' own, which the Python reference makes too), and the cIoU@0.5 of the
 * pointing heatmap's cells >= 0.5 with the cells inside sounding boxes.
 */
export async function localizationScores(cache: AnalysisCache, truth: Truth): Promise<{ hits: number[]; soundHits: number[]; ious: number[] }> {
  const hits: number[] = [], soundHits: number[] = [], ious: number[] = [];
  const m = cache.meta;
  const g = originalGrid(m.geometry, m.featureStride, m.grid);
  for (let f = 0; f < m.frames; f++) {
    const tfs = truthFramesOf(f, m.fps, truth.fps, truth.frames.length);
    // Boxes of the picture analysed: the clip frame on screen at (f + 0.5) / fps (frames.ts).
    const tf = Math.min(truth.frames.length - 1, Math.floor(((f + 0.5) / m.fps) * truth.fps + 1e-9));
    const sounding = truth.sources.map((s, k) => ({ k, on: soundingIn(s.envelope, tfs) })).filter((s) => s.on);
    if (!sounding.length) continue;
    const heat = toOriginal(g, await cache.pointing(f, 1));
    const boxes = sounding.map((s) => truth.frames[tf].boxes[s.k]);
    const inBox = (r: number, c: number) => {
      const x = ((c + 0.5) / g.cols) * truth.width, y = ((r + 0.5) / g.rows) * truth.height;
      return boxes.some((b) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]);
    };
    const hit = (h: Float32Array) => {
      let best = 0;
      for (let i = 1; i < h.length; i++) if (h[i] > h[best]) best = i;
      return inBox(Math.floor(best / g.cols), best % g.cols) ? 1 : 0;
    };
    hits.push(hit(heat));
    soundHits.push(hit(toOriginal(g, await cache.heatmaps(f, 1))));
    let inter = 0, uni = 0;
    for (let i = 0; i < heat.length; i++) {
      const p = heat[i] >= 0.5, t = inBox(Math.floor(i / g.cols), i % g.cols);
      if (p && t) inter++;
      if (p || t) uni++;
    }
    ious.push(uni ? inter / uni : 0);
  }
  return { hits, soundHits, ious };
}

export async function runAppBench(root: string, opts: AppBenchOptions) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-'));
  const cacheRoot = path.join(tmp, 'cache');
  const rt = await ModelRuntime.create({ device: 'auto' });
  try {
    const perKind = opts.quick ? 1 : 2;
    const seconds = opts.quick ? 8 : 12;
    const rows: QualityRow[] = [];
    const clipRows: ClipRow[] = [];
    const torch = hasTorch();
    let clipNo = 0;
    for (const kind of KINDS) {
      const app: number[] = [], models: number[] = [], appOnly: number[] = [], py: number[] = [], pyApp: number[] = [], cp: number[] = [], ibm: number[] = [], hits: number[] = [], soundHits: number[] = [], ious: number[] = [], pyHits: number[] = [];
      const twoStage = rt.card.stages.length > 1;
      for (let i = 0; i < perKind; i++, clipNo++) {
        const aspect = clipNo % 2 ? '4:3' : '16:9';
        const rate = clipNo % 2 ? 48000 : 44100;
        const dir = path.join(tmp, `${kind}-${i}`);
        opts.log(`bench: ${kind} clip ${i + 1}/${perKind} (${aspect}, ${rate} Hz)`);
        const truth = makeClip(root, dir, 100 + i, kind, seconds, aspect, rate);
        const file = path.join(dir, 'clip.mp4');
        const info = await probeMedia(file);
        const a = await analyzeMedia(file, { runtime: rt, info, cacheRoot });
        const clicks = loudestClicks(truth);
        const out = path.join(dir, 'stems');
        await separate(file, clicks, { runtime: rt, cache: a.cache, info, outDir: out, format: 'f32' });
        const refs = await readMono11k(dir, truth.sources.map((s) => s.file), truth.sampleRate);
        const ests = await readMono11k(out, stemFiles(truth), info.audio!.sampleRate);
        const mix = mono11k((await readAudio(file)).channels, info.audio!.sampleRate);
        const clip: ClipRow = { kind, aspect, rate, app: mean(sdr(refs, ests)), models: NaN, appearanceOnly: NaN, python: NaN, pythonAppearance: NaN, pythonMirEval: NaN };
        app.push(clip.app);
        const out0 = path.join(dir, 'stems-models');
        await separate(file, clicks, { runtime: rt, cache: a.cache, info, outDir: out0, format: 'f32', movement: false });
        clip.models = mean(sdr(refs, await readMono11k(out0, stemFiles(truth), info.audio!.sampleRate)));
        models.push(clip.models);
        if (twoStage) {
          const out1 = path.join(dir, 'stems-appearance');
          await separate(file, clicks, { runtime: rt, cache: a.cache, info, outDir: out1, format: 'f32', stages: ['appearance'], movement: false });
          const ests1 = await readMono11k(out1, stemFiles(truth), info.audio!.sampleRate);
          clip.appearanceOnly = mean(sdr(refs, ests1));
          appOnly.push(clip.appearanceOnly);
        }
        // The same models in PyTorch on the same clip without AAC/H.264, scored by the same code.
        const ref = torch ? pythonReference(root, dir) : null;
        if (ref) {
          const score = async (file: string) => {
            const w = await readWav(path.join(dir, file));
            return mean(sdr(refs, w.channels));
          };
          clip.python = await score(ref[twoStage ? 'two_stage' : 'appearance'].file);
          clip.pythonAppearance = await score(ref.appearance.file);
          clip.pythonMirEval = mean(ref[twoStage ? 'two_stage' : 'appearance'].sdr);
          py.push(clip.python);
          pyApp.push(clip.pythonAppearance);
          if (ref.pointing !== null) pyHits.push(ref.pointing);
        }
        clipRows.push(clip);
        cp.push(mean(sdr(refs, refs.map(() => mix))));
        ibm.push(mean(sdr(refs, idealBinaryMask(mix.subarray(0, Math.min(...refs.map((r) => r.length))), refs))));
        const loc = await localizationScores(a.cache, truth);
        hits.push(...loc.hits);
        soundHits.push(...loc.soundHits);
        ious.push(...loc.ious);
        await a.cache.close();
      }
      rows.push({ kind, clips: perKind, app: mean(app), models: mean(models), appearanceOnly: twoStage ? mean(appOnly) : NaN, python: mean(py), pythonAppearance: mean(pyApp), copyPaste: mean(cp), ibm: mean(ibm), pointing: mean(hits), pointingSound: mean(soundHits), ciou: mean(ious), pointingPython: mean(pyHits) });
    }
    const base = { quality: rows, clips: clipRows, clipSeconds: seconds, stages: rt.card.stages, provider: rt.provider, model: { name: rt.card.name, version: rt.card.modelVersion, sha256: rt.card.sha256 } };
    if (opts.qualityOnly) return { ...base, speed: null, memory: null, separationMemory: null };

    // Speed: a 3-minute 2-source clip (1 minute with --quick).
    const longSec = opts.quick ? 60 : 180;
    opts.log(`bench: ${longSec} s clip for speed`);
    const longDir = path.join(tmp, 'long');
    const truth = makeClip(root, longDir, 7, 'diff2', longSec, '16:9', 48000);
    const longFile = path.join(longDir, 'clip.mp4');
    const info = await probeMedia(longFile);
    const a = await analyzeMedia(longFile, { runtime: rt, info, cacheRoot });
    const clicks = truth.sources.map((_s, k) => {
      const b = truth.frames[8].boxes[k];
      return { x: (b[0] + b[2]) / 2 / truth.width, y: (b[1] + b[3]) / 2 / truth.height, timeSec: 1 };
    });
    const t0 = performance.now();
    await separate(longFile, clicks, { runtime: rt, cache: a.cache, info, outDir: path.join(longDir, 'stems') });
    const sepSec = (performance.now() - t0) / 1000;
    // A preview is short enough for one run's noise to move it by a tenth: the median of a few.
    const previewRuns: number[] = [];
    for (let run = 0; run < PREVIEW_RUNS; run++) {
      const t1 = performance.now();
      await separate(longFile, clicks, { runtime: rt, cache: a.cache, info, outDir: path.join(longDir, 'preview'), startSec: 0, durationSec: 10 });
      previewRuns.push((performance.now() - t1) / 1000);
    }
    const previewSec = [...previewRuns].sort((x, y) => x - y)[PREVIEW_RUNS >> 1];
    await a.cache.close();

    // Memory of the separation stage alone: the analysed long clip through the CLI.
    opts.log('bench: memory of a separation run');
    const sepMem = await peakRss(root, ['separate', longFile, '--source', `${clicks[0].x},${clicks[0].y}`, '--source', `${clicks[1].x},${clicks[1].y}`, '--at', '1', '--out', path.join(tmp, 'long-cli')], { ...process.env, STEMSIGHT_CACHE_DIR: cacheRoot }, 600);

    // Memory: the long clip looped to 60 minutes, through the CLI (a fresh process), RSS sampled.
    opts.log('bench: 60-minute clip for peak memory');
    const hour = path.join(tmp, 'hour.mp4');
    execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-stream_loop', String(Math.ceil(3600 / longSec) - 1), '-i', longFile, '-c', 'copy', '-t', '3600', hour]);
    const limitSec = opts.full ? 4 * 3600 : opts.quick ? 45 : 120;
    const mem = await peakRss(root, ['separate', hour, '--source', `${clicks[0].x},${clicks[0].y}`, '--source', `${clicks[1].x},${clicks[1].y}`, '--out', path.join(tmp, 'hour-stems')], { ...process.env, STEMSIGHT_CACHE_DIR: cacheRoot }, limitSec);

    return {
      ...base,
      speed: {
        clipSec: info.durationSec,
        separateSec: sepSec,
        rtf: sepSec / info.durationSec,
        previewSec,
        previewRuns,
        analysisSec: a.seconds,
        analysisXRealTime: info.durationSec / a.seconds,
      },
      memory: { ...mem, limitSec },
      separationMemory: sepMem,
    };
  } finally {
    await stopMaskWorker();
    await rt.release();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Run the CLI, sampling the resident memory of it and its children; stop it after limitSec. */
function peakRss(root: string, args: string[], env: NodeJS.ProcessEnv, limitSec: number): Promise<{ peakMiB: number; finished: boolean; ranSec: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'bin/stemsight.mjs'), ...args], { env, stdio: 'ignore' });
    let peak = 0;
    const rss = (pid: number): number => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const m = /VmRSS:\s+(\d+) kB/.exec(status);
        let kb = m ? Number(m[1]) : 0;
        const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        for (const k of kids ? kids.split(/\s+/) : []) kb += rss(Number(k));
        return kb;
      } catch {
        return 0;
      }
    };
    const timer = setInterval(() => {
      if (child.pid) peak = Math.max(peak, rss(child.pid));
      if ((performance.now() - started) / 1000 > limitSec) child.kill('SIGINT');
    }, 250);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ peakMiB: peak / 1024, finished: code === 0, ranSec: (performance.now() - started) / 1000 });
    });
  });
}
