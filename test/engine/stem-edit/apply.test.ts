import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyStemEdits, changedSources, type EditSource } from '../../../src/main/engine/stem-edit/apply';
import { fullRateGrid } from '../../../src/main/engine/separation/fullrate';
import { readWav, writeWav } from '../../../src/main/engine/media/wav';

const RATE = 16000;
const SEC = 3;
const N = RATE * SEC;
const grid = fullRateGrid(RATE, { sampleRate: 11025, hop: 256 });

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stem-edit-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic noise in [-1, 1). */
function noise(seed: number, n: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const tone = (hz: number, amp: number, phase = 0) => Float32Array.from({ length: N }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / RATE + phase));

/**
 * A separation's raw set: source 1 a 440 Hz tone with some of source 2 leaked into it, source 2
 * noise (less what leaked), the residual a 3 kHz tone. Stereo, float32.
 */
async function rawSet(): Promise<{ files: string[]; residual: string; tone440: Float32Array[]; leak: Float32Array[] }> {
  const tone440 = [tone(440, 0.3), tone(440, 0.25, 0.4)];
  const hiss = [noise(1, N).map((v) => 0.1 * v), noise(2, N).map((v) => 0.1 * v)];
  const leak = hiss.map((ch) => ch.map((v) => 0.3 * v));
  const a = tone440.map((ch, c) => ch.map((v, i) => v + leak[c][i]));
  const b = hiss.map((ch, c) => ch.map((v, i) => v - leak[c][i]));
  const res = [tone(3000, 0.05), tone(3000, 0.05, 1)];
  mkdirSync(path.join(dir, 'raw'));
  const files = [path.join(dir, 'raw', 'source-1.wav'), path.join(dir, 'raw', 'source-2.wav')];
  const residual = path.join(dir, 'raw', 'residual.wav');
  await writeWav(files[0], { sampleRate: RATE, channels: a }, 'f32');
  await writeWav(files[1], { sampleRate: RATE, channels: b }, 'f32');
  await writeWav(residual, { sampleRate: RATE, channels: res }, 'f32');
  return { files, residual, tone440, leak };
}

async function channelsOf(file: string): Promise<Float32Array[]> {
  return (await readWav(file)).channels;
}

/** Largest difference, per sample, between the sum of `a` files and the sum of `b` files. */
async function sumDifference(a: string[], b: string[]): Promise<number> {
  const sum = async (files: string[]) => {
    const out = [new Float64Array(N), new Float64Array(N)];
    for (const f of files) (await channelsOf(f)).forEach((ch, c) => ch.forEach((v, i) => (out[c][i] += v)));
    return out;
  };
  const [x, y] = [await sum(a), await sum(b)];
  let worst = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(x[c][i] - y[c][i]));
  return worst;
}

const energy = (chs: Float32Array[], minus?: Float32Array[]) => chs.reduce((s, ch, c) => s + ch.reduce((t, v, i) => t + (v - (minus?.[c][i] ?? 0)) ** 2, 0), 0);

async function run(sources: EditSource[], residual: string, startSec = 0) {
  const outDir = path.join(dir, 'edited');
  const r = await applyStemEdits({ sources, residual, startSec, grid, outDir });
  const stems = r.sources.map((name, k) => (name ? path.join(outDir, name) : sources[k].file));
  return { r, stems, residual: path.join(outDir, r.residual) };
}

describe('stem edits', () => {
  it('a higher strength removes more of the rest from the stem, a lower one less; the sum stays exact', async () => {
    const raw = await rawSet();
    const before = energy(await channelsOf(raw.files[0]), raw.tone440);
    for (const [strength, more] of [
      [1, false],
      [0, true],
    ] as const) {
      const { r, stems, residual } = await run(
        [
          { file: raw.files[0], strength, moves: [] },
          { file: raw.files[1], strength: 0.5, moves: [] },
        ],
        raw.residual,
      );
      // Only the edited source's stem (and the residual) is written again.
      expect(r.sources).toEqual(['source-1.wav', null]);
      const after = energy(await channelsOf(stems[0]), raw.tone440);
      if (more) expect(after).toBeGreaterThan(1.2 * before);
      else expect(after).toBeLessThan(0.5 * before);
      // The tone itself stays in the stem.
      expect(energy(await channelsOf(stems[0]))).toBeGreaterThan(0.8 * energy(raw.tone440));
      expect(await sumDifference([...stems, residual], [...raw.files, raw.residual])).toBeLessThan(1e-6);
    }
  });

  it('moves a time range of a stem to the residual or to another source, sample-exact, with short fades', async () => {
    const raw = await rawSet();
    const [a, b] = [await channelsOf(raw.files[0]), await channelsOf(raw.files[1])];
    const { r, stems, residual } = await run(
      [
        { file: raw.files[0], strength: 0.5, moves: [{ startSec: 1, endSec: 2, to: null }] },
        { file: raw.files[1], strength: 0.5, moves: [{ startSec: 2.5, endSec: 2.8, to: 0 }] },
      ],
      raw.residual,
    );
    expect(r.sources).toEqual(['source-1.wav', 'source-2.wav']);
    const [a2, b2, res2] = [await channelsOf(stems[0]), await channelsOf(stems[1]), await channelsOf(residual)];
    const at = (sec: number) => Math.round(sec * RATE);
    // Source 1: untouched before the range, silent inside it (past the 5 ms half-fade).
    expect(a2[0][at(0.5)]).toBe(a[0][at(0.5)]);
    expect(a2[1][at(0.9)]).toBe(a[1][at(0.9)]);
    for (const t of [1.006, 1.5, 1.994]) expect(a2[0][at(t)]).toBe(0);
    expect(Math.abs(a2[0][at(1)])).toBeCloseTo(Math.abs(a[0][at(1)]) / 2, 5);
    // Source 2's range went into source 1's stem.
    expect(b2[0][at(2.6)]).toBe(0);
    expect(a2[0][at(2.6)]).toBeCloseTo(a[0][at(2.6)] + b[0][at(2.6)], 6);
    // The residual holds what source 1 gave up.
    expect(res2[0][at(1.5)]).toBeCloseTo(a[0][at(1.5)] + (await channelsOf(raw.residual))[0][at(1.5)], 6);
    expect(await sumDifference([...stems, residual], [...raw.files, raw.residual])).toBeLessThan(1e-6);
  });

  it('reads the range in media time when the stems start later (a preview)', async () => {
    const raw = await rawSet();
    const a = await channelsOf(raw.files[0]);
    const { stems } = await run(
      [
        { file: raw.files[0], strength: 0.5, moves: [{ startSec: 11, endSec: 12, to: null }] },
        { file: raw.files[1], strength: 0.5, moves: [] },
      ],
      raw.residual,
      10,
    );
    const a2 = await channelsOf(stems[0]);
    expect(a2[0][Math.round(1.5 * RATE)]).toBe(0);
    expect(a2[0][Math.round(0.5 * RATE)]).toBe(a[0][Math.round(0.5 * RATE)]);
  });

  it("folds a removed source's stem into the residual: the other stems stay as they are, the sum stays exact", async () => {
    const raw = await rawSet();
    const outDir = path.join(dir, 'folded');
    // No strength to apply: no STFT grid is needed.
    const r = await applyStemEdits({ sources: [{ file: raw.files[0], strength: 0.5, moves: [] }], residual: raw.residual, fold: [raw.files[1]], startSec: 0, outDir });
    expect(r.sources).toEqual([null]);
    const residual = path.join(outDir, r.residual);
    // The new residual is the old one plus the removed stem, to float precision.
    expect(await sumDifference([residual], [raw.residual, raw.files[1]])).toBeLessThan(1e-6);
    // The remaining stem (the same file) and the new residual sum to the original.
    expect(await sumDifference([raw.files[0], residual], [...raw.files, raw.residual])).toBeLessThan(1e-6);
    // The removed source's sound is really in it: the residual is far from the old one.
    const [res, removed] = [await channelsOf(raw.residual), await channelsOf(raw.files[1])];
    expect(energy(await channelsOf(residual), res)).toBeCloseTo(energy(removed), 3);
  });

  it('a fold and a strength together: the strength re-masks in the mixture that still holds the removed stem', async () => {
    const raw = await rawSet();
    const outDir = path.join(dir, 'both');
    const r = await applyStemEdits({ sources: [{ file: raw.files[0], strength: 1, moves: [] }], residual: raw.residual, fold: [raw.files[1]], startSec: 0, grid, outDir });
    expect(r.sources).toEqual(['source-1.wav']);
    expect(await sumDifference([path.join(outDir, 'source-1.wav'), path.join(outDir, r.residual)], [...raw.files, raw.residual])).toBeLessThan(1e-6);
    // Without the grid a strength cannot be applied: a clear error, nothing written.
    await expect(applyStemEdits({ sources: [{ file: raw.files[0], strength: 1, moves: [] }], residual: raw.residual, startSec: 0, outDir: path.join(dir, 'none') })).rejects.toThrow('grid');
  });

  it('knows which stems an edit changes', () => {
    const s = (strength: number, moves: EditSource['moves'] = []): EditSource => ({ file: 'x', strength, moves });
    expect(changedSources([s(0.5), s(0.5)])).toEqual([false, false]);
    expect(changedSources([s(0.7), s(0.5), s(0.5, [{ startSec: 0, endSec: 1, to: 0 }])])).toEqual([true, false, true]);
  });
});
