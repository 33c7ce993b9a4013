import { promises as fsp } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { ModelCard } from '../models/card';
import type { ModelRuntime } from '../models/runtime';
import type { AnalysisBatch, AnalysisExtension } from './extensions';
import { encodeHalf } from './half';

/**
 * Motion stage, analysis side (Models II, card.motion): the motion session turns stacks of
 * consecutive model frames (1, T, 3, H, W) into f_M1 (1, C, T, gh, gw). Features are cached per
 * frame (float16, C x gh x gw) in motion.f16, computed in chunks of T frames with CONTEXT frames
 * of real neighbours on each side, so a frame's features do not depend on where a chunk happened
 * to start. CONTEXT covers the receptive field: three temporal 3-taps (3 frames each way) plus the
 * frame difference the network takes as input, which reaches one frame further back (with 3, the
 * first frame of each chunk after the first came out slightly different).
 */

export const MOTION_FILE = 'motion.f16';
const CONTEXT = 4;

export interface MotionSpec {
  frames: number;
  features: number;
}

export function motionSpec(card: ModelCard): MotionSpec {
  const m = (card as unknown as { motion?: { frames?: number; features?: number } }).motion;
  return { frames: m?.frames ?? 48, features: m?.features ?? 32 };
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
