import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli as runCli } from './run-cli';
import { BAR55_2, makeTalkingClip, materialAvailable, type TalkingClip } from '../fixtures/real/make-clips';

/**
 * `stemsight separate` on real footage: the CLI decides that the picture is real (the scene rule),
 * finds the faces, and asks for a clicked face as a speaker by class, since the picture's features
 * mean nothing to a network trained on the synthetic world.
 */

let dir: string;
let clip: string;
let talk: TalkingClip;
const cli = (args: string[]) => runCli(args, { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
const centre = (b: [number, number, number, number]) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2].map((v) => v.toFixed(3)).join(',');

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-real-'));
  if (materialAvailable()) {
    talk = makeTalkingClip(path.join(dir, 'talking.mp4'));
    clip = talk.file;
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!materialAvailable())('stemsight separate on real footage', { timeout: 300_000 }, () => {
  it('a click on a face is a speaker asked for by name and cleaned as dialogue; a click off the faces is warned about', async () => {
    const out = path.join(dir, 'out');
    const r = await cli(['separate', clip, '--source', centre(BAR55_2.man), '--source', '0.05,0.95', '--at', '2', '--out', out, '--format', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.parameters.sources[0]).toMatchObject({ class: 'speaker', at: 2 });
    expect(m.parameters.sources[1]).toMatchObject({ class: null });
    // The face is asked for by its class alone: no picture cell was used for it.
    expect(m.stems.sources[0].cell).toBeNull();
    expect(m.stems.sources[1].cell).not.toBeNull();
    expect(m.parameters.dialogue.map((d: { index: number }) => d.index)).toEqual([1]);
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toMatch(/^source 2: on real footage a click that is not on a face/);
    expect(r.stderr).toMatch(/warning: source 2: on real footage/);
    // The speaker's activity follows the face's speaking.
    expect(m.activity.sources.map((s: { index: number }) => s.index)).toContain(1);
  });

  it('a source named speech on real footage is cleaned as dialogue like a clicked face; the folder holds stems only', async () => {
    const out = path.join(dir, 'named');
    const r = await cli(['separate', clip, '--source', 'speech', '--out', out, '--format', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.parameters.sources).toEqual([{ x: null, y: null, at: null, class: 'speaker' }]);
    expect(m.parameters.dialogue).toEqual([{ index: 1, amount: 0.8, separated: null }]);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav']);
  });

  it('localize: the heatmaps light the face that speaks while it speaks, and nothing in the pauses', async () => {
    const out = path.join(dir, 'loc');
    const r = await cli(['localize', clip, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(readFileSync(path.join(out, 'heatmaps.json'), 'utf8')) as { grid: [number, number]; frames: { time: number; values: number[] }[] };
    const [rows, cols] = h.grid;
    const inMan = (i: number) => {
      const x = ((i % cols) + 0.5) / cols, y = (Math.floor(i / cols) + 0.5) / rows;
      const [x0, y0, x1, y1] = BAR55_2.man;
      return x >= x0 && x <= x1 && y >= y0 && y <= y1;
    };
    const speaking = (t: number) => talk.speech.some(([a, b]) => t >= a + 0.25 && t <= b - 0.25);
    const silent = (t: number) => talk.speech.every(([a, b]) => t < a - 0.75 || t > b + 0.75);
    const during = h.frames.filter((f) => speaking(f.time));
    const pauses = h.frames.filter((f) => silent(f.time));
    expect(during.length).toBeGreaterThan(10);
    expect(pauses.length).toBeGreaterThan(3);
    // While the voice is heard the brightest cell is on the man's face in most frames ...
    const hits = during.filter((f) => inMan(f.values.indexOf(Math.max(...f.values))) && Math.max(...f.values) > 0.3).length;
    expect(hits / during.length).toBeGreaterThan(0.7);
    // ... and in the pauses nothing lights up much.
    for (const f of pauses) expect(Math.max(...f.values)).toBeLessThan(0.5);
  });
});
