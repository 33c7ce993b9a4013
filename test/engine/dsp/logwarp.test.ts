import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { logUnwarp, logWarp, unwarpPositions, warpPositions } from '../../../src/main/engine/dsp/logwarp';

describe('log-frequency warp', () => {
  it('samples log-spaced positions from bin 0 to bin 511', () => {
    const p = warpPositions();
    expect(p.length).toBe(256);
    expect(p[0]).toBe(0);
    expect(p[255]).toBeCloseTo(511, 9);
    for (let i = 1; i < 256; i++) expect(p[i] - p[i - 1]).toBeGreaterThan(p[Math.max(0, i - 2)] - p[Math.max(0, i - 3)] - 1e-12);
    // SoP's grid with align_corners=True: y = (21^((v+1)/2) - 11)/10, row = (y + 1)/2 * 511.
    const v = -1 + (2 * 100) / 255;
    const y = (Math.pow(21, (v + 1) / 2) - 11) / 10;
    expect(p[100]).toBeCloseTo(((y + 1) / 2) * 511, 9);
  });

  it('unwarp positions invert the warp', () => {
    const p = warpPositions();
    const q = unwarpPositions();
    expect(q[0]).toBe(0);
    expect(q[511]).toBeCloseTo(255, 9);
    // q(pos(i)) == i
    for (const i of [0, 17, 128, 255]) {
      const f = p[i];
      const lo = Math.floor(f), w = f - lo;
      const qi = lo < 511 ? (1 - w) * q[lo] + w * q[lo + 1] : q[511];
      expect(Math.abs(qi - i)).toBeLessThan(0.02);
    }
  });

  it('warps every frame the same way, and unwarp of a smooth mask is close to the original', () => {
    const T = 3;
    const lin = new Float32Array(512 * T);
    for (let f = 0; f < 512; f++) for (let t = 0; t < T; t++) lin[f * T + t] = f * (t + 1);
    const w = logWarp(lin, T);
    expect(w.length).toBe(256 * T);
    const p = warpPositions();
    expect(w[200 * T + 2]).toBeCloseTo(p[200] * 3, 3);
    const smooth = new Float32Array(256 * T).map((_, i) => 0.5 + 0.4 * Math.sin(Math.floor(i / T) / 40));
    const back = logWarp(logUnwarp(smooth, T), T);
    for (let i = 0; i < smooth.length; i++) expect(Math.abs(back[i] - smooth[i])).toBeLessThan(0.01);
  });

  const trainingAudio = path.resolve(__dirname, '../../../training/audio.py');
  const numpyOk = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!numpyOk || !existsSync(trainingAudio))('equals training/audio.py warp_matrix / unwarp_matrix', () => {
    // Run the training side's own functions (without torch, which they do not need).
    const py = `
import json, sys, numpy as np
src = open(sys.argv[1]).read().replace('import torch', '')
ns = {}
exec(compile(src, 'audio.py', 'exec'), ns)
x = np.random.RandomState(0).rand(512, 2).astype(np.float64)
w = ns['warp_matrix']() @ x
m = np.random.RandomState(1).rand(256, 2).astype(np.float64)
u = ns['unwarp_matrix']() @ m
print(json.dumps([x.ravel().tolist(), w.ravel().tolist(), m.ravel().tolist(), u.ravel().tolist()]))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', py, trainingAudio], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const [x, w, m, u] = JSON.parse(r.stdout) as number[][];
    const ours = logWarp(x, 2);
    ours.forEach((v, i) => expect(Math.abs(v - w[i])).toBeLessThan(1e-5));
    const oursU = logUnwarp(m, 2);
    oursU.forEach((v, i) => expect(Math.abs(v - u[i])).toBeLessThan(1e-5));
  });
});
