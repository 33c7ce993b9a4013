import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../src/main/engine/media/binaries';
import { readWav } from '../../src/main/engine/media/wav';
import { readAudio } from '../../src/main/engine/media/audio';
import { defaultModelDir } from '../../src/main/engine/models/card';
import { cli as runCli, expectOneLineError, root } from './run-cli';

/**
 * `separate --source X,Y,CLASS` and `--source CLASS` end to end. The plumbing runs on copies of
 * the shipped model whose card carries made-up class query vectors (or none); what a name
 * selects is checked with the shipped card and its trained class queries.
 */

let dir: string;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache'), ...env });
const ff = (args: string[]) => execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args]);

const shippedCard = JSON.parse(readFileSync(path.join(defaultModelDir(), 'card.json'), 'utf8')) as { classes: string[]; classQueries?: unknown; video: { features: number } };

/** A copy of the shipped model whose card has these class queries (null: none). */
function modelWith(name: string, classQueries: Record<string, number[]> | null): string {
  const out = path.join(dir, name);
  cpSync(defaultModelDir(), out, { recursive: true });
  const card = { ...shippedCard };
  if (classQueries) card.classQueries = classQueries;
  else delete card.classQueries;
  writeFileSync(path.join(out, 'card.json'), JSON.stringify(card, null, 1));
  return out;
}

/** Deterministic stand-ins for trained class vectors (the plumbing, not the quality, is under test). */
const madeUp = Object.fromEntries(shippedCard.classes.map((c, i) => [c, Array.from({ length: shippedCard.video.features }, (_, k) => Math.sin(1 + i * 7 + k * 3))]));

let voice: string, world: string, named: string, unnamed: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-named-'));
  voice = path.join(dir, 'voice.wav'); // audio only: nothing to click on
  ff(['-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=44100:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=990:sample_rate=44100:duration=3',
    '-filter_complex', '[0:a][1:a]join=inputs=2:channel_layout=stereo[a]', '-map', '[a]', '-c:a', 'pcm_s16le', voice]);
  // A world clip (the demo: a speaker, a saxophone and a violin), its first 6 s.
  world = path.join(dir, 'world.mp4');
  ff(['-i', path.join(root, 'resources', 'demo', 'demo.mp4'), '-t', '6', '-c', 'copy', world]);
  named = modelWith('named', madeUp);
  unnamed = modelWith('unnamed', null);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifestOf = (out: string) => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));

// Each case runs the CLI (and on the world clip, its analysis) several times: minutes on a loaded machine.
describe('stemsight separate --source CLASS', { timeout: 300_000 }, () => {
  it('separates an audio-only file by name: no picture, no analysis, stems that sum to the original, the query in the manifest', async () => {
    const out = path.join(dir, 'voice-out');
    const r = await cli(['separate', voice, '--source', 'speech', '--source', 'Guitar', '--out', out, '--format', 'f32'], { STEMSIGHT_MODEL_DIR: named });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav', 'source-2.wav']);
    const m = manifestOf(out);
    expect(m.parameters.sources).toEqual([
      { x: null, y: null, at: null, class: 'speaker' },
      { x: null, y: null, at: null, class: 'guitar' },
    ]);
    expect(m.stems.sources).toEqual([
      { index: 1, file: 'source-1.wav', frame: null, cell: null },
      { index: 2, file: 'source-2.wav', frame: null, cell: null },
    ]);
    expect(m.activity).toBeNull();
    expect(m.warnings).toEqual([]);
    expect(m.timings).toMatchObject({ analysisSec: 0, analysisCached: false });
    expect(m.model.skippedStages).toEqual([{ stage: 'motion', reason: 'no source has a point in the picture to follow' }]);
    const mix = await readAudio(voice);
    const stems = await Promise.all(['source-1.wav', 'source-2.wav', 'residual.wav'].map((f) => readWav(path.join(out, f))));
    let e = 0, ref = 0, named1 = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < mix.channels[c].length; i++) {
      e += (stems[0].channels[c][i] + stems[1].channels[c][i] + stems[2].channels[c][i] - mix.channels[c][i]) ** 2;
      ref += mix.channels[c][i] ** 2;
      named1 += stems[0].channels[c][i] ** 2;
    }
    expect(10 * Math.log10(e / ref)).toBeLessThan(-60);
    expect(named1).toBeGreaterThan(0); // the class query selected something
  });

  it('mixes clicks, clicks with a class and names on a world clip; only clicked sources have a cell and activity', async () => {
    const out = path.join(dir, 'world-mixed');
    const r = await cli(['separate', world, '--source', '0.745,0.286,voice', '--source', 'violin', '--source', '0.28,0.563', '--at', '1', '--out', out], { STEMSIGHT_MODEL_DIR: named });
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.parameters.sources).toEqual([
      { x: 0.745, y: 0.286, at: 1, class: 'speaker' },
      { x: null, y: null, at: null, class: 'violin' },
      { x: 0.28, y: 0.563, at: 1, class: null },
    ]);
    expect(m.stems.sources.map((s: { cell: unknown }) => s.cell === null)).toEqual([false, true, false]);
    expect(m.activity.sources.map((s: { index: number }) => s.index)).toEqual([1, 3]);
  });

  it('a model trained without class queries: a name alone is refused in one line; a click with a name uses the click and warns', async () => {
    expectOneLineError(await cli(['separate', voice, '--source', 'speech', '--out', path.join(dir, 'refused')], { STEMSIGHT_MODEL_DIR: unnamed }), /asked for by name \('speaker'\) alone, but the installed model .* was trained without class queries; click the source in the picture instead/);
    const out = path.join(dir, 'warned');
    const r = await cli(['separate', world, '--source', '0.745,0.286,speech', '--at', '1', '--out', out], { STEMSIGHT_MODEL_DIR: unnamed });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("stemsight: warning: source 1: the installed model cannot use the class name 'speaker', so the click alone chose the sound\n");
    expect(manifestOf(out).warnings).toEqual(["source 1: the installed model cannot use the class name 'speaker', so the click alone chose the sound"]);
  });

  it('bad --source input: one line that says what to write', async () => {
    const out = path.join(dir, 'bad');
    expectOneLineError(await cli(['separate', voice, '--source', 'kazoo', '--out', out]), /--source 'kazoo': 'kazoo' is not a sound class Stemsight knows; use one of guitar, violin/);
    expectOneLineError(await cli(['separate', voice, '--source', '0.5,0.5,tuba', '--out', out]), /'tuba' is not a sound class/);
    expectOneLineError(await cli(['separate', voice, '--source', '0.5', '--out', out]), /must be X,Y .* or CLASS alone/);
    expectOneLineError(await cli(['separate', voice, '--source', '0.5,0.5', '--out', out]), /--source 0\.5,0\.5 is a point in the picture, but voice\.wav has no video; name the source instead \(e\.g\. --source speech\)/);
  });

  it('--source speech on a world clip gives the speaker: its stem is most like the stem of a click on the speaker', async () => {
    const byName = path.join(dir, 'speech-by-name');
    const byClick = path.join(dir, 'speech-by-click');
    let r = await cli(['separate', world, '--source', 'speech', '--out', byName, '--format', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    // The synthetic world is not real footage: its speaker is not cleaned by the speech enhancer.
    expect(manifestOf(byName).parameters.dialogue).toEqual([]);
    r = await cli(['separate', world, '--source', '0.745,0.286', '--source', '0.28,0.563', '--source', '0.729,0.806', '--at', '1', '--out', byClick, '--format', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    const mono = (w: { channels: Float32Array[] }) => w.channels[0].map((v, i) => (v + w.channels[1][i]) / 2);
    const speech = mono(await readWav(path.join(byName, 'source-1.wav')));
    const clicks = await Promise.all(['source-1.wav', 'source-2.wav', 'source-3.wav'].map(async (f) => mono(await readWav(path.join(byClick, f)))));
    const corr = (a: Float32Array, b: Float32Array) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
      }
      return ab / Math.sqrt(aa * bb + 1e-20);
    };
    const [speaker, sax, violin] = clicks.map((c) => corr(speech, c));
    expect(speaker).toBeGreaterThan(0.5);
    expect(speaker).toBeGreaterThan(sax + 0.2);
    expect(speaker).toBeGreaterThan(violin + 0.2);
  });
});
