import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAudio } from '../../src/main/engine/media/audio';
import { toMono } from '../../src/main/engine/dsp/mono';
import { resample } from '../../src/main/engine/dsp/resample';
import { bssEvalSources } from '../../src/main/engine/metrics/bss_eval';
import { cli as runCli } from './run-cli';
import { BAR55_2_CLICKS, makeRealMixClip, realInstrumentsAvailable, type RealMixClip } from '../fixtures/real/make-clips';

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
