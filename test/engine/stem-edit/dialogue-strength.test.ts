import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import stemEditJob from '../../../src/main/engine/stem-edit/job';
import { enhanceSpeakerStems } from '../../../src/main/engine/separation/dialogue';
import { fullRateGrid } from '../../../src/main/engine/separation/fullrate';
import { readWav, writeWav } from '../../../src/main/engine/media/wav';
import type { JobContext } from '../../../src/main/engine/jobs/define';

/**
 * A speaker's strength drives the speech enhancer: the stem edit cleans the speaker's stem as
 * separated again at the strength's amount (no separation), and the stems and the residual still
 * sum to the original.
 */

const RATE = 48000;
const SEC = 2.1;
const N = Math.round(RATE * SEC);

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stem-edit-dialogue-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** A voice-like buzz at 140 Hz, on for 0.4 s, off for 0.3 s. */
const voice = Float32Array.from({ length: N }, (_, i) => {
  const t = i / RATE;
  if (t % 0.7 >= 0.4) return 0;
  let v = 0;
  for (let h = 1; h <= 20; h++) v += (Math.sin(2 * Math.PI * 140 * h * t + h) * (h < 6 ? 1 : 0.3)) / h;
  return 0.25 * v;
});

/** The pauses of the voice (well inside them), as sample ranges. */
const PAUSES = [0.45, 1.15, 1.85].map((a) => [Math.round(a * RATE), Math.round((a + 0.2) * RATE)] as const);

const pauseRms = (x: Float32Array) => {
  let s = 0, n = 0;
  for (const [a, b] of PAUSES) for (let i = a; i < b; i++, n++) s += x[i] * x[i];
  return Math.sqrt(s / n);
};

const ctx: JobContext = { jobId: 'test', signal: new AbortController().signal, cancelled: false, throwIfCancelled: () => undefined, progress: () => undefined, record: () => undefined };

/**
 * A separation's set on real footage, as the app keeps it: source 1 a speaker whose stem as
 * separated is the voice with hiss (kept as source-1.separated.wav) and cleaned at the default
 * amount, source 2 a tone, the residual noise; the manifest lists the speaker.
 */
async function speakerSet(): Promise<{ raw: string; original: Float32Array[] }> {
  const raw = path.join(dir, 'raw');
  mkdirSync(raw);
  const r = rng(7);
  const speaker = [0, 1].map((c) => voice.map((v) => (c ? 0.8 : 1) * v + 0.04 * r()));
  const tone = [0, 1].map((c) => Float32Array.from({ length: N }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 3000 * i) / RATE + c)));
  const residual = [0, 1].map(() => Float32Array.from({ length: N }, () => 0.02 * r()));
  const original = [0, 1].map((c) => Float32Array.from({ length: N }, (_, i) => speaker[c][i] + tone[c][i] + residual[c][i]));
  await writeWav(path.join(raw, 'source-1.wav'), { sampleRate: RATE, channels: speaker }, 'f32');
  await writeWav(path.join(raw, 'source-2.wav'), { sampleRate: RATE, channels: tone }, 'f32');
  await writeWav(path.join(raw, 'residual.wav'), { sampleRate: RATE, channels: residual }, 'f32');
  const cleaned = await enhanceSpeakerStems(raw, [1], { amount: 0.8, format: 'f32', keepSeparated: true });
  expect(cleaned.dialogue).toEqual([{ index: 1, amount: 0.8, separated: 'source-1.separated.wav' }]);
  const g = fullRateGrid(RATE, { sampleRate: 11025, hop: 256 });
  writeFileSync(path.join(raw, 'manifest.json'), JSON.stringify({ parameters: { fullRateStft: { hop: g.hop, window: g.win, nFft: g.nFft }, dialogue: cleaned.dialogue } }));
  return { raw, original };
}

async function edit(raw: string, strength: number, out: string) {
  const r = await stemEditJob.run(
    {
      sources: [
        { file: path.join(raw, 'source-1.wav'), strength, moves: [] },
        { file: path.join(raw, 'source-2.wav'), strength: 0.5, moves: [] },
      ],
      residual: path.join(raw, 'residual.wav'),
      startSec: 0,
      order: [],
      outDir: path.join(dir, out),
    },
    ctx,
  );
  const files = r.sources.map((name, k) => (name ? path.join(dir, out, name) : path.join(raw, `source-${k + 1}.wav`)));
  return { r, files, residual: path.join(dir, out, r.residual) };
}

async function worstSumError(files: string[], original: Float32Array[]): Promise<number> {
  const sum = original.map(() => new Float64Array(N));
  for (const f of files) (await readWav(f)).channels.forEach((ch, c) => ch.forEach((v, i) => (sum[c][i] += v)));
  let worst = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(sum[c][i] - original[c][i]));
  return worst;
}

describe("a speaker's strength drives the speech enhancer (stem edit, no separation)", { timeout: 60_000 }, () => {
  it('0 keeps more of the rest than the default, 1 removes more; the stems and the residual sum to the original', async () => {
    const { raw, original } = await speakerSet();
    const separated = (await readWav(path.join(raw, 'source-1.separated.wav'))).channels[0];
    const asSeparated = pauseRms(separated);
    const atDefault = pauseRms((await readWav(path.join(raw, 'source-1.wav'))).channels[0]);
    // The separation's own cleaning (the default strength) took hiss out of the pauses.
    expect(atDefault).toBeLessThan(0.7 * asSeparated);

    const weak = await edit(raw, 0, 'weak');
    const strong = await edit(raw, 1, 'strong');
    expect(weak.r.sources).toEqual(['source-1.wav', null]);
    expect(strong.r.sources).toEqual(['source-1.wav', null]);
    const atWeak = pauseRms((await readWav(weak.files[0])).channels[0]);
    const atStrong = pauseRms((await readWav(strong.files[0])).channels[0]);
    // Strength 0: no enhancer (and a looser mask): at least as much in the pauses as separated.
    expect(atWeak).toBeGreaterThanOrEqual(0.99 * asSeparated);
    expect(atStrong).toBeLessThan(0.8 * atDefault);
    // The voice itself stays at every strength.
    const voiceRms = (x: Float32Array) => Math.sqrt(x.subarray(0, Math.round(0.4 * RATE)).reduce((s, v) => s + v * v, 0) / Math.round(0.4 * RATE));
    expect(voiceRms((await readWav(strong.files[0])).channels[0])).toBeGreaterThan(0.7 * voiceRms(voice));
    for (const e of [weak, strong]) expect(await worstSumError([...e.files, e.residual], original)).toBeLessThan(1e-5);
  });

  it('at the default strength the cleaned stem is used as it is; a moved range edits it without cleaning again', async () => {
    const { raw, original } = await speakerSet();
    const r = await stemEditJob.run(
      {
        sources: [
          { file: path.join(raw, 'source-1.wav'), strength: 0.5, moves: [{ startSec: 0.1, endSec: 0.2, to: null }] },
          { file: path.join(raw, 'source-2.wav'), strength: 0.5, moves: [] },
        ],
        residual: path.join(raw, 'residual.wav'),
        startSec: 0,
        order: [[0, { startSec: 0.1, endSec: 0.2, to: null }]],
        outDir: path.join(dir, 'moved'),
      },
      ctx,
    );
    const cleaned = (await readWav(path.join(raw, 'source-1.wav'))).channels[0];
    const moved = (await readWav(path.join(dir, 'moved', 'source-1.wav'))).channels[0];
    // Outside the moved range the stem is the separation's cleaned stem, sample for sample.
    for (const t of [0.05, 0.5, 1.5]) expect(moved[Math.round(t * RATE)]).toBe(cleaned[Math.round(t * RATE)]);
    expect(await worstSumError([path.join(dir, 'moved', 'source-1.wav'), path.join(raw, 'source-2.wav'), path.join(dir, 'moved', r.residual)], original)).toBeLessThan(1e-5);
  });

  it("a removed source's stem folded into the residual of an edited set: the edited stem stays as it is, the sum stays exact at full rate", async () => {
    const { raw, original } = await speakerSet();
    // The speaker at a higher strength: its stem cleaned again, in a folder of its own (no manifest there).
    const strong = await edit(raw, 1, 'strong');
    const edited = await readWav(strong.files[0]);
    // Source 2 removed: its stem joins the residual; nothing is re-masked or cleaned again.
    const r = await stemEditJob.run(
      { sources: [{ file: strong.files[0], strength: 0.5, moves: [] }], residual: strong.residual, fold: [strong.files[1]], startSec: 0, order: [], outDir: path.join(dir, 'folded') },
      ctx,
    );
    expect(r.sources).toEqual([null]);
    expect((await readWav(strong.files[0])).channels).toEqual(edited.channels);
    const residual = path.join(dir, 'folded', r.residual);
    expect(r).toMatchObject({ sampleRate: RATE, channels: 2, frames: N });
    expect(await worstSumError([strong.files[0], residual], original)).toBeLessThan(1e-5);
    // The removed tone is in the new residual: it is the old residual plus the tone, sample for sample to float precision.
    const [res, tone, folded] = await Promise.all([strong.residual, strong.files[1], residual].map(async (f) => (await readWav(f)).channels));
    let worst = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(folded[c][i] - (res[c][i] + tone[c][i])));
    expect(worst).toBeLessThan(1e-6);
  });

  it("says what to do when a speaker's stem as separated is gone", async () => {
    const { raw } = await speakerSet();
    unlinkSync(path.join(raw, 'source-1.separated.wav'));
    await expect(edit(raw, 1, 'lost')).rejects.toThrow(/separate the sources again/);
  });

  it('the CLI keeps stems only: without keepSeparated no stem as separated is written', async () => {
    mkdirSync(path.join(dir, 'cli'));
    const ch = [voice.map((v) => v + 0.01)];
    await writeWav(path.join(dir, 'cli', 'source-1.wav'), { sampleRate: RATE, channels: ch }, 'f32');
    await writeWav(path.join(dir, 'cli', 'residual.wav'), { sampleRate: RATE, channels: [new Float32Array(N)] }, 'f32');
    const cleaned = await enhanceSpeakerStems(path.join(dir, 'cli'), [1], { amount: 0.8, format: 'f32', keepSeparated: false });
    expect(cleaned.dialogue).toEqual([{ index: 1, amount: 0.8, separated: null }]);
    expect(existsSync(path.join(dir, 'cli', 'source-1.separated.wav'))).toBe(false);
  });
});
