import ort from 'onnxruntime-node';
import { motionSpec } from '../analysis/motion-features';
import type { ModelCard } from '../models/card';
import type { RefineStage, WindowContext } from './stages';

/**
 * Motion stage, separation side (AMnet's second stage with COF's opponent filter, exported as
 * refine.onnx): the N sources' appearance logits, refined jointly with each source's motion
 * features (pooled around its click inside the graph), give the window's masks. The motion
 * features of the window's T frames come from the analysis cache (motion-features.ts).
 */

export function motionRefiner(card: ModelCard): RefineStage {
  const spec = motionSpec(card);
  return {
    name: 'motion',
    sessions: ['motion', 'refine'],
    replacesAppearance: true,
    async refine(_masks: Float32Array | null, ctx: WindowContext): Promise<Float32Array> {
      const { card: c, cache, runtime: rt } = ctx;
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
      const n = ctx.sources.length;
      const k = c.video.features;
      const src = new Float32Array(n * k);
      const pos = new Float32Array(n * 2);
      ctx.sources.forEach((s, i) => {
        src.set(s.features, i * k);
        pos[2 * i] = s.row;
        pos[2 * i + 1] = s.col;
      });
      const out = await rt.run('refine', {
        audio_features: ctx.audio.features,
        weights: ctx.audio.weights,
        source_features: new ort.Tensor('float32', src, [n, k]),
        motion_features: new ort.Tensor('float32', motion, [1, C, T, gh, gw]),
        source_cells: new ort.Tensor('float32', pos, [n, 2]),
      });
      return out.masks.data as Float32Array;
    },
  };
}
