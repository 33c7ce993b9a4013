import { promises as fsp } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { ModelCard } from '../models/card';
import type { ModelRuntime } from '../models/runtime';
import { encodeHalf } from '../analysis/half';
import { activityAt } from './activity';
import type { AnalysisBatch, AnalysisExtension, FollowedActivity, RefineStage, StageEntry, WindowContext } from './types';

/**
 * The motion stage (AMnet's second stage with COF's opponent filter), its two parts in
 * one place, reading the card's motion section (models/card.ts).
 *
 * Analysis: the motion session turns stacks of consecutive model frames (1, T, 3, H, W) into f_M1
 * (1, C, T, gh, gw). Features are cached per frame (float16, C x gh x gw) in motion.f16, computed in
 * chunks of T frames with CONTEXT frames of real neighbours on each side, so a frame's features do
 * not depend on where a chunk happened to start. CONTEXT covers the receptive field: three temporal
 * 3-taps (3 frames each way) plus the frame difference the network takes as input, which reaches
 * one frame further back (with 3, the first frame of each chunk after the first came out slightly
 * different).
 *
 * Separation (refine.onnx): the appearance logits of the sources that have a click, refined
 * jointly with each one's motion features (pooled around its click inside the graph), give their
 * masks; a source asked for by name alone has no motion to follow and keeps its appearance mask
 * (the residual still completes the sum). The motion features of the window's T frames come from
 * the analysis cache. A refinement trained to read each source's activity (the card's refine
 * session has an `activity` input) is given it over the same T frames, as the tracker followed the
 * source, over its largest value there (windowActivity).
 */

export const MOTION_FILE = 'motion.f16';
const CONTEXT = 4;

export interface MotionSpec {
  frames: number;
  features: number;
}

/** The card's motion section, with the values the shipped motion model was trained with where it says nothing. */
export function motionSpec(card: ModelCard): MotionSpec {
  return { frames: card.motion?.frames ?? 48, features: card.motion?.features ?? 32 };
}

export function motionExtension(card: ModelCard): AnalysisExtension {
  const spec = motionSpec(card);
  const { width, height, grid } = card.video;
  const frameSize = 3 * width * height;
  const cells = grid[0] * grid[1];
  let rt: ModelRuntime | null = null;
  let out: fsp.FileHandle | null = null;
  let buf: Float32Array[] = []; // frames from bufStart
  let bufStart = 0;
  let next = 0; // first frame whose features are not written yet

  /** Run frames [from, to) with context, write features of [next, upto). */
  const runChunk = async (upto: number, final: boolean) => {
    const from = Math.max(bufStart, next - CONTEXT);
    const to = Math.min(bufStart + buf.length, upto + (final ? 0 : CONTEXT));
    const t = to - from;
    const frames = new Float32Array(t * frameSize);
    for (let i = 0; i < t; i++) frames.set(buf[from + i - bufStart], i * frameSize);
    const res = await rt!.run('motion', { frames: new ort.Tensor('float32', frames, [1, t, 3, height, width]) });
    const f1 = res.motion_features.data as Float32Array; // (1, C, t, gh, gw)
    const c = spec.features;
    const perFrame = new Float32Array(c * cells);
    const chunks: Buffer[] = [];
    for (let f = next; f < upto; f++) {
      const ti = f - from;
      for (let ch = 0; ch < c; ch++) perFrame.set(f1.subarray((ch * t + ti) * cells, (ch * t + ti + 1) * cells), ch * cells);
      chunks.push(encodeHalf(perFrame));
    }
    await out!.write(Buffer.concat(chunks));
    next = upto;
    // Keep CONTEXT frames before `next` for the following chunk.
    const keepFrom = Math.max(bufStart, next - CONTEXT);
    buf = buf.slice(keepFrom - bufStart);
    bufStart = keepFrom;
  };

  return {
    stage: 'motion',
    sessions: ['motion'],
    async begin(dir, runtime) {
      rt = runtime;
      out = await fsp.open(path.join(dir, MOTION_FILE), 'w');
    },
    async batch(b: AnalysisBatch) {
      // Views, not copies: the frames array of a batch is not written again (the AnalysisBatch contract).
      for (let i = 0; i < b.indices.length; i++) buf.push(b.frames.subarray(i * frameSize, (i + 1) * frameSize));
      while (bufStart + buf.length >= next + spec.frames + CONTEXT) await runChunk(next + spec.frames, false);
    },
    async end() {
      if (bufStart + buf.length > next) await runChunk(bufStart + buf.length, true);
      await out?.close();
      out = null;
      return { motion: MOTION_FILE };
    },
    async abort() {
      await out?.close().catch(() => undefined);
      out = null;
    },
  };
}

/** A source's activity over the window's frames first .. first + frames - 1 (of `fps`), over its largest value there; 0 where it was not followed. */
export function windowActivity(followed: FollowedActivity | null | undefined, first: number, frames: number, fps: number): Float32Array {
  const out = new Float32Array(frames);
  const a = followed?.values;
  if (!followed || !a || a.length === 0) return out; // not followed: as a source the tracker lost
  let top = 0;
  for (let t = 0; t < frames; t++) {
    // At the middle of window frame t.
    out[t] = Math.max(0, activityAt(followed, (first + t + 0.5) / fps));
    top = Math.max(top, out[t]);
  }
  // As in training: each source over its window's largest value (0.001 keeps a still one near 0).
  for (let t = 0; t < frames; t++) out[t] /= top + 1e-3;
  return out;
}

export function motionRefiner(card: ModelCard): RefineStage {
  const spec = motionSpec(card);
  const readsActivity = 'activity' in (card.sessions.refine?.inputs ?? {});
  return {
    name: 'motion',
    sessions: ['motion', 'refine'],
    replacesAppearance: true,
    pointsOnly: true,
    readsActivity,
    async refine(masks: Float32Array | null, ctx: WindowContext): Promise<Float32Array> {
      const { card: c, runtime: rt } = ctx;
      const pointed = ctx.sources.flatMap((s, i) => (s.cell ? [{ i, features: s.features, cell: s.cell, activity: s.activity }] : []));
      if (pointed.length === 0) return masks!;
      const cache = ctx.cache!;
      const [gh, gw] = c.video.grid;
      const cells = gh * gw;
      const T = spec.frames, C = spec.features;
      // The window's frames: the one at the window's start time and the T - 1 after it.
      const first = Math.round((ctx.start / c.audio.sampleRate) * cache.meta.fps);
      const motion = new Float32Array(C * T * cells);
      // Frames outside the media repeat its first or last one; the rest is one read.
      const clamp = (f: number) => Math.min(cache.meta.frames - 1, Math.max(0, f));
      const lo = clamp(first), hi = clamp(first + T - 1);
      const block = await cache.frameRangeFeatures('motion', lo, hi - lo + 1, C * cells);
      for (let t = 0; t < T; t++) {
        const off = (clamp(first + t) - lo) * C * cells;
        for (let ch = 0; ch < C; ch++) motion.set(block.subarray(off + ch * cells, off + (ch + 1) * cells), (ch * T + t) * cells);
      }
      const n = pointed.length;
      const k = c.video.features;
      const src = new Float32Array(n * k);
      const pos = new Float32Array(n * 2);
      pointed.forEach((s, i) => {
        src.set(s.features, i * k);
        pos[2 * i] = s.cell.row;
        pos[2 * i + 1] = s.cell.col;
      });
      const out = await rt.run('refine', {
        audio_features: ctx.audio.features,
        weights: ctx.audio.weights,
        source_features: new ort.Tensor('float32', src, [n, k]),
        motion_features: new ort.Tensor('float32', motion, [1, C, T, gh, gw]),
        source_cells: new ort.Tensor('float32', pos, [n, 2]),
        ...(readsActivity ? { activity: activityTensor(pointed, first, T, cache.meta.fps) } : {}),
      });
      const refined = out.masks.data as Float32Array;
      if (n === ctx.sources.length) return refined;
      // Name-only sources keep their appearance masks; the refined ones go in their places.
      const size = c.audio.bins * c.audio.frames;
      const all = Float32Array.from(masks!);
      pointed.forEach((s, j) => all.set(refined.subarray(j * size, (j + 1) * size), s.i * size));
      return all;
    },
  };
}

/** The pointed sources' activities over a window's T frames from `first`, (n, T). */
function activityTensor(pointed: { activity?: FollowedActivity | null }[], first: number, T: number, fps: number): ort.Tensor {
  const out = new Float32Array(pointed.length * T);
  pointed.forEach((s, j) => out.set(windowActivity(s.activity, first, T, fps), j * T));
  return new ort.Tensor('float32', out, [pointed.length, T]);
}

export const motionStage: StageEntry = { name: 'motion', analysis: motionExtension, separation: motionRefiner };
