import { promises as fsp, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { toMono } from '../dsp/mono';
import { resample } from '../dsp/resample';
import { istft, stft, type Spectrogram } from '../dsp/stft';
import { readWav, writeWav, type WavFormat } from '../media/wav';
import type { SourceQuery } from './query';

/**
 * Dialogue: a speaker's stem cleaned by a pretrained speech enhancer. Our separation finds the
 * speaker; RNNoise (a recurrent denoiser trained on real speech and noise recordings; its weights
 * are compiled into @echogarden/rnnoise-wasm, BSD-3-Clause) then tells, per time-frequency cell,
 * how much of that stem is speech. The stem keeps that share, as a smooth gain: the gain may move
 * by at most MAX_GAIN_STEP per STFT hop (no gating clicks), and `amount` (0..1) sets how much of
 * the rest is removed (the source's strength sets it: enhancerAmount in shared/stem-edit.ts).
 * Whatever is removed goes to the residual, so the stems and the residual still add up to the
 * original.
 *
 * The separation cleans each speaker's stem at the default strength's amount; the app also keeps
 * the stem as separated (SEPARATED_SUFFIX) so that a stem edit can clean it again at another
 * strength without separating again.
 */

/** RNNoise works on 10 ms frames of 48 kHz mono, in 16-bit sample units. */
const RNNOISE_RATE = 48000;
const PCM_SCALE = 32768;
/** STFT of the gains at the stem's rate: ~21 ms frames, ~5 ms hop at 48 kHz. */
const N_FFT = 1024;
const HOP = 256;
/** Largest change of a cell's gain from one hop to the next (~5 ms): a fade of >= 20 ms from 1 to 0. */
export const MAX_GAIN_STEP = 0.25;
/** A speaker's stem as separated, before the enhancer, is kept beside it as source-N.separated.wav. */
const SEPARATED_SUFFIX = '.separated.wav';
export const separatedName = (stemFile: string): string => stemFile.replace(/\.wav$/, SEPARATED_SUFFIX);

interface RnnoiseModule {
  _rnnoise_create(model: number): number;
  _rnnoise_destroy(state: number): void;
  _rnnoise_get_frame_size(): number;
  _rnnoise_process_frame(state: number, out: number, input: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPF32: Float32Array;
}

const nodeRequire = createRequire(import.meta.url);
let loaded: Promise<RnnoiseModule> | null = null;

/** The RNNoise WebAssembly module, loaded once per thread from the package (never fetched). */
function rnnoise(): Promise<RnnoiseModule> {
  loaded ??= (async () => {
    const entry = nodeRequire.resolve('@echogarden/rnnoise-wasm');
    const factory = (await import(pathToFileURL(entry).href)) as { default: (opts: object) => Promise<RnnoiseModule> };
    // The binary is handed over so that the module never looks for it by URL.
    return factory.default({ wasmBinary: readFileSync(path.join(path.dirname(entry), 'rnnoise.wasm')) });
  })();
  return loaded;
}

/** RNNoise's estimate of the clean speech in a mono signal at 48 kHz (same length). */
export async function denoise48k(x: Float32Array): Promise<Float32Array> {
  const m = await rnnoise();
  const n = m._rnnoise_get_frame_size();
  const state = m._rnnoise_create(0);
  const buf = m._malloc(n * 4);
  const out = new Float32Array(x.length);
  const frame = new Float32Array(n);
  try {
    for (let o = 0; o < x.length; o += n) {
      frame.fill(0);
      for (let i = 0; i < n && o + i < x.length; i++) frame[i] = x[o + i] * PCM_SCALE;
      m.HEAPF32.set(frame, buf >> 2);
      m._rnnoise_process_frame(state, buf, buf);
      const y = m.HEAPF32.subarray(buf >> 2, (buf >> 2) + n);
      for (let i = 0; i < n && o + i < x.length; i++) out[o + i] = y[i] / PCM_SCALE;
    }
  } finally {
    m._free(buf);
    m._rnnoise_destroy(state);
  }
  return out;
}

/**
 * Smooths a gain track (one cell's gains over frames) so that it moves by at most maxStep a frame.
 * Falls are limited going forwards and rises going backwards, so a gain drop starts early enough
 * to be complete at a pause, and speech onsets are not clipped.
 */
export function limitSlope(g: Float32Array, maxStep: number, stride = 1, count = g.length / stride, offset = 0): void {
  for (let t = 1; t < count; t++) {
    const i = offset + t * stride, p = i - stride;
    if (g[i] < g[p] - maxStep) g[i] = g[p] - maxStep;
  }
  for (let t = count - 2; t >= 0; t--) {
    const i = offset + t * stride, n = i + stride;
    if (g[i] < g[n] - maxStep) g[i] = g[n] - maxStep;
  }
}

/** Per cell gains: the enhancer's magnitude over the stem's, 0..1, slope-limited, scaled by amount. */
export function dialogueGains(stem: Spectrogram, enhanced: Spectrogram, amount: number): Float32Array {
  const { nBins, nFrames } = stem;
  const g = new Float32Array(nBins * nFrames);
  for (let i = 0; i < g.length; i++) {
    const s = Math.hypot(stem.re[i], stem.im[i]);
    const e = Math.hypot(enhanced.re[i], enhanced.im[i]);
    g[i] = s > 1e-9 ? Math.min(1, e / s) : 1;
  }
  for (let f = 0; f < nBins; f++) limitSlope(g, MAX_GAIN_STEP, 1, nFrames, f * nFrames);
  const k = Math.min(1, Math.max(0, amount));
  for (let i = 0; i < g.length; i++) g[i] = 1 - k * (1 - g[i]);
  return g;
}

/**
 * The speaker's stem cleaned by the enhancer at `amount` (0..1): new channels of the same rate and
 * length; amount 0 returns the stem itself.
 */
export async function cleanSpeech(speaker: Float32Array[], rate: number, amount: number): Promise<Float32Array[]> {
  if (!(amount > 0) || speaker.length === 0 || speaker[0].length === 0) return speaker;
  const n = speaker[0].length;
  const mono = toMono(speaker);
  const clean48 = await denoise48k(resample(mono, rate, RNNOISE_RATE));
  const back = resample(clean48, RNNOISE_RATE, rate);
  // RNNoise's frames delay nothing (the output frame is the input frame); resampling keeps time.
  const clean = new Float32Array(n);
  clean.set(back.subarray(0, n));
  const opts = { nFft: N_FFT, hop: HOP };
  const gains = dialogueGains(stft(mono, opts), stft(clean, opts), amount);
  return speaker.map((channel) => {
    const spec = stft(channel, opts);
    for (let i = 0; i < gains.length; i++) {
      spec.re[i] *= gains[i];
      spec.im[i] *= gains[i];
    }
    return istft(spec, { length: n });
  });
}

/**
 * Cleans the speaker stem in place and adds what it removes to the residual (same rate, channels
 * and length): afterwards speaker + residual equals what it was before, sample by sample (to float
 * rounding). amount 0 leaves both as they are.
 */
export async function enhanceSpeaker(speaker: Float32Array[], residual: Float32Array[], rate: number, amount: number): Promise<void> {
  if (speaker.length !== residual.length || speaker.some((c, i) => c.length !== residual[i].length)) {
    throw new RangeError('the speaker stem and the residual must have the same channels and length');
  }
  const cleaned = await cleanSpeech(speaker, rate, amount);
  if (cleaned === speaker) return;
  for (let c = 0; c < speaker.length; c++) {
    const s = speaker[c], r = residual[c], kept = cleaned[c];
    for (let i = 0; i < s.length; i++) {
      // The residual takes exactly what the speaker loses: their sum is computed once, in double.
      const sum = s[i] + r[i];
      s[i] = kept[i];
      r[i] = sum - kept[i];
    }
  }
}

/** The speakers among the queries (1-based): the sources asked for as the class 'speaker'. */
export const speakerIndices = (queries: readonly SourceQuery[]): number[] => queries.flatMap((q, i) => (q.className === 'speaker' ? [i + 1] : []));

/** A speaker source whose stem the enhancer cleaned (a separation's manifest lists them). */
export interface DialogueSource {
  /** 1-based source index in the separation (source-N.wav). */
  index: number;
  /** How much of the rest the enhancer removed (0..1): the amount of the strength it was cleaned at. */
  amount: number;
  /** The stem as separated, before the enhancer (a file name beside it); null when it was not kept. */
  separated: string | null;
}

/**
 * The dialogue pass over a separation's stems in `dir` (source-N.wav and residual.wav): each
 * speaker's stem (1-based `speakers`) is cleaned at `amount` and the residual takes what was
 * removed; with keepSeparated the stem as separated stays beside it (separatedName). Files are
 * replaced atomically. Returns the speakers cleaned and the samples clipped per file rewritten
 * (integer formats only).
 */
export async function enhanceSpeakerStems(
  dir: string,
  speakers: number[],
  opts: { amount: number; format: WavFormat; keepSeparated: boolean },
): Promise<{ dialogue: DialogueSource[]; clipped: { file: string; samples: number }[] }> {
  if (speakers.length === 0 || !(opts.amount > 0)) return { dialogue: [], clipped: [] };
  const residualFile = path.join(dir, 'residual.wav');
  const residual = await readWav(residualFile);
  const clipped: { file: string; samples: number }[] = [];
  const dialogue: DialogueSource[] = [];
  for (const index of speakers) {
    const name = `source-${index}.wav`;
    const file = path.join(dir, name);
    const stem = await readWav(file);
    const separated = opts.keepSeparated ? separatedName(name) : null;
    if (separated) await fsp.rename(file, path.join(dir, separated));
    await enhanceSpeaker(stem.channels, residual.channels, stem.sampleRate, opts.amount);
    clipped.push({ file: name, samples: await writeWav(file, stem, opts.format) });
    dialogue.push({ index, amount: opts.amount, separated });
  }
  clipped.push({ file: 'residual.wav', samples: await writeWav(residualFile, residual, opts.format) });
  return { dialogue, clipped: clipped.filter((c) => c.samples > 0) };
}
