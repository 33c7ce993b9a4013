import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAudio } from '../../src/main/engine/media/audio';
import { toMono } from '../../src/main/engine/dsp/mono';
import { resample } from '../../src/main/engine/dsp/resample';
import { bssEvalSources } from '../../src/main/engine/metrics/bss_eval';
import { cli as runCli } from './run-cli';
import { BAR55_2_CLICKS, makeDialogueClip, makeRealMixClip, makeTwoPlayersClip, realInstrumentsAvailable, type RealMixClip } from '../fixtures/real/make-clips';

/**
 * A real voice over a real instrument on a real photograph (test/fixtures/real: fetch-material.sh,
 * which CI runs; without the material these tests are skipped locally and fail in CI): the clip's
 * ground truth is what its sound is made of, and `stemsight separate` asks for the face as a
 * speaker and for the named player by class. How well it separates is the bench's figure
 * (`stemsight bench real-quality`), not a test's.
 */

const have = realInstrumentsAvailable();
if (!have && process.env.CI) throw new Error('real test material is missing: run test/fixtures/real/fetch-material.sh');

let dir: string;
let clip: RealMixClip;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-real-mix-'));
  if (have) clip = makeRealMixClip(path.join(dir, 'speaker-guitar.mp4'), ['speaker', 'guitar']);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!have)('real recordings: a real voice over a real guitar', { timeout: 300_000 }, () => {
  it("the clip's sound is its two sources at equal loudness: the mixture as either stem scores about 0 dB", async () => {
    const decoded = await readAudio(clip.file);
    const mix = resample(toMono(decoded.channels), decoded.sampleRate, 11025);
    const refs = clip.sources.map((s) => resample(s.audio, clip.rate, 11025));
    const n = Math.min(mix.length, ...refs.map((r) => r.length));
    expect(n / 11025).toBeGreaterThan(10);
    const { sdr } = bssEvalSources(refs.map((r) => r.subarray(0, n)), refs.map(() => mix.subarray(0, n)), { computePermutation: false });
    // Equal RMS gives 0 dB; a source out of step with the mixture (or missing from it) would score far below.
    for (const x of sdr) expect(Math.abs(x)).toBeLessThan(1);
    expect(clip.sources.map((s) => s.className)).toEqual(['speaker', 'guitar']);
  });

  it('separate: the click on his face is a speaker, cleaned as dialogue; the player clicked on her body and named is asked for by class alone', async () => {
    const out = path.join(dir, 'out');
    const [face, body] = clip.sources.map((s) => s.click.map((v) => v.toFixed(3)).join(','));
    const r = await runCli(['separate', clip.file, '--source', face, '--source', `${body},guitar`, '--out', out, '--format', 'f32'], { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.parameters.sources.map((s: { class: string }) => s.class)).toEqual(['speaker', 'guitar']);
    // Neither query used the picture's features (they mean nothing on a real photograph).
    expect(m.stems.sources.map((s: { cell: unknown }) => s.cell)).toEqual([null, null]);
    expect(m.parameters.dialogue.map((d: { index: number }) => d.index)).toEqual([1]);
    expect(m.warnings).toEqual([]);
  });

  it('a player clicked on her face and named is not cleaned as speech: the speech enhancer is for speakers only', async () => {
    const out = path.join(dir, 'out-face');
    const face = clip.sources[0].click.map((v) => v.toFixed(3)).join(',');
    const player = BAR55_2_CLICKS.womanFace.map((v) => v.toFixed(3)).join(',');
    const r = await runCli(['separate', clip.file, '--source', face, '--source', `${player},guitar`, '--out', out, '--format', 'f32'], { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.parameters.sources.map((s: { class: string }) => s.class)).toEqual(['speaker', 'guitar']);
    expect(m.parameters.dialogue.map((d: { index: number }) => d.index)).toEqual([1]);
  });
});

/**
 * Two sources of one class: the separation gives both the same mask, and who is active when (a
 * face's mouth with the speech, a player's hands) shares the sound out. Each stem must then hold
 * its own source clearly better than the mixture does (copy-paste), which two even halves could
 * not (they score as the mixture).
 */
describe.skipIf(!have)('real recordings: two people of one class, told apart by who moves when', { timeout: 600_000 }, () => {
  const score = async (out: string, refs48: Float32Array[], rate: number, file: string) => {
    const ests = await Promise.all([1, 2].map(async (k) => {
      const w = await readAudio(path.join(out, `source-${k}.wav`));
      return resample(toMono(w.channels), w.sampleRate, 11025);
    }));
    const refs = refs48.map((r) => resample(r, rate, 11025));
    const decoded = await readAudio(file);
    const mix = resample(toMono(decoded.channels), decoded.sampleRate, 11025);
    const n = Math.min(mix.length, ...refs.map((r) => r.length), ...ests.map((e) => e.length));
    const cut = (x: Float32Array[]) => x.map((v) => v.subarray(0, n));
    const app = bssEvalSources(cut(refs), cut(ests), { computePermutation: false }).sdr;
    const copy = bssEvalSources(cut(refs), cut(refs.map(() => mix)), { computePermutation: false }).sdr;
    return { app, copy };
  };

  it('two people talking in turns: each face gets its own voice', async () => {
    const clip = makeDialogueClip(path.join(dir, 'dialogue.mp4'));
    const out = path.join(dir, 'dialogue-out');
    const [a, b] = clip.speakers.map((s) => s.click.map((v) => v.toFixed(3)).join(','));
    const r = await runCli(['separate', clip.file, '--source', a, '--source', b, '--out', out, '--format', 'f32'], { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.parameters.sources.map((s: { class: string }) => s.class)).toEqual(['speaker', 'speaker']);
    const { app, copy } = await score(out, clip.speakers.map((s) => s.audio), clip.rate, clip.file);
    for (let k = 0; k < 2; k++) expect(app[k] - copy[k], `speaker ${k + 1}: ${app[k].toFixed(2)} dB against ${copy[k].toFixed(2)}`).toBeGreaterThan(3);
  });

  it('two guitarists taking turns: each player, named guitar, gets their own guitar', async () => {
    const clip = makeTwoPlayersClip(path.join(dir, 'players.mp4'), 'guitar');
    const out = path.join(dir, 'players-out');
    const [a, b] = clip.players.map((s) => `${s.click.map((v) => v.toFixed(3)).join(',')},guitar`);
    const r = await runCli(['separate', clip.file, '--source', a, '--source', b, '--out', out, '--format', 'f32'], { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const { app, copy } = await score(out, clip.players.map((s) => s.audio), clip.rate, clip.file);
    for (let k = 0; k < 2; k++) expect(app[k] - copy[k], `player ${k + 1}: ${app[k].toFixed(2)} dB against ${copy[k].toFixed(2)}`).toBeGreaterThan(3);
  });
});
