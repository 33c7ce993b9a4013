import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelRuntime } from '../../../src/main/engine/models';
import { motionExtension, motionSpec, MOTION_FILE } from '../../../src/main/engine/stages/motion';
import { decodeHalf } from '../../../src/main/engine/analysis/half';

/**
 * The shipped motion session, streamed through the analysis pass in small batches, must give every
 * frame the features it gets when the whole clip goes through the session at once: separation reads
 * them back per window, so chunk edges must not leave a mark (the Python reference computes them on
 * the whole clip).
 */

let rt: ModelRuntime;
beforeAll(async () => {
  rt = await ModelRuntime.create({ device: 'cpu' });
});
afterAll(async () => {
  await rt?.release();
});

describe('motion features of the shipped model', () => {
  it('do not depend on where the analysis pass cut the frames into chunks', async () => {
    if (!rt.card.stages.includes('motion')) return; // an appearance-only model has no motion session
    const { width, height, grid } = rt.card.video;
    const spec = motionSpec(rt.card);
    const cells = grid[0] * grid[1];
    const frameSize = 3 * width * height;
    const total = spec.frames + 30; // more than one chunk, the second one partial
    // A textured square moving across a textured background: real motion at every frame.
    const frames = new Float32Array(total * frameSize);
    for (let f = 0; f < total; f++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const inSquare = Math.abs(x - 20 - 3 * f) < 18 && Math.abs(y - 40 - f) < 18;
            const v = inSquare ? 200 + 40 * Math.sin((x + y) * 0.7 + c) : 90 + 60 * Math.sin(x * 0.21 + y * 0.13 * (c + 1));
            frames[f * frameSize + (c * height + y) * width + x] = v;
          }
        }
      }
    }
    const whole = await rt.run('motion', { frames: new ort.Tensor('float32', frames, [1, total, 3, height, width]) });
    const expected = whole.motion_features.data as Float32Array; // (1, C, total, gh, gw)

    const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-motion-real-'));
    try {
      const ext = motionExtension(rt.card);
      await ext.begin(dir, rt);
      for (let f0 = 0; f0 < total; f0 += 7) {
        const n = Math.min(7, total - f0);
        await ext.batch({
          frames: frames.slice(f0 * frameSize, (f0 + n) * frameSize),
          indices: Array.from({ length: n }, (_, i) => f0 + i),
          visual: new Float32Array(0),
          windowStart: null,
          audio: null,
        });
      }
      await ext.end();
      const cached = decodeHalf(readFileSync(path.join(dir, MOTION_FILE)));
      expect(cached.length).toBe(total * spec.features * cells);
      let worst = 0, scale = 0;
      for (let f = 0; f < total; f++) {
        for (let ch = 0; ch < spec.features; ch++) {
          for (let k = 0; k < cells; k++) {
            const want = expected[(ch * total + f) * cells + k];
            worst = Math.max(worst, Math.abs(cached[(f * spec.features + ch) * cells + k] - want));
            scale = Math.max(scale, Math.abs(want));
          }
        }
      }
      expect(scale).toBeGreaterThan(0.1);
      // float16 storage: about 3 significant digits.
      expect(worst).toBeLessThan(scale * 2e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
