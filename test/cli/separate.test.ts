import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../src/main/engine/media/binaries';
import { readWav } from '../../src/main/engine/media/wav';
import { readAudio } from '../../src/main/engine/media/audio';
import { cli as runCli, expectOneLineError } from './run-cli';

/** The separate command's contract on small generated clips (ffmpeg lavfi: testsrc + two sines). */

let dir: string;
const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache'), ...extraEnv });

const ff = (args: string[]) => execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args]);
const clip = (name: string, size: string, rate: number, dur: number, extra: string[] = []) => {
  const p = path.join(dir, name);
  ff(['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=12:duration=${dur}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${dur}`,
    '-f', 'lavfi', '-i', `sine=frequency=1320:sample_rate=${rate}:duration=${dur}`, '-filter_complex', '[1:a][2:a]join=inputs=2:channel_layout=stereo[a]',
    '-map', '0:v', '-map', '[a]', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', ...extra, p]);
  return p;
};

let mp4: string, mov: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-sep-'));
  mp4 = clip('wide.mp4', '256x144', 44100, 3); // 16:9, 44.1 kHz stereo
  mov = clip('square.mov', '160x120', 48000, 2); // 4:3, 48 kHz stereo
  ff(['-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'silent.mp4')]);
  const whole = readFileSync(mp4);
  writeFileSync(path.join(dir, 'cut.mp4'), whole.subarray(0, Math.floor(whole.length * 0.4)));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stemsight separate', () => {
  it('writes source-N.wav and residual.wav at the media rate/channels/length, and manifest.json', async () => {
    const out = path.join(dir, 'out-mp4');
    const r = await cli(['separate', mp4, '--source', '0.25,0.5', '--source', '0.75,0.5', '--at', '1', '--out', out, '--format', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // no progress and no notes when not on a TTY and no device asked
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav', 'source-2.wav']);
    const mix = await readAudio(mp4);
    const stems = await Promise.all(['source-1.wav', 'source-2.wav', 'residual.wav'].map((f) => readWav(path.join(out, f))));
    for (const s of stems) {
      expect(s.sampleRate).toBe(44100);
      expect(s.channels.length).toBe(2);
      expect(s.channels[0].length).toBe(mix.channels[0].length);
    }
    let e = 0, ref = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < mix.channels[c].length; i++) {
      e += (stems[0].channels[c][i] + stems[1].channels[c][i] + stems[2].channels[c][i] - mix.channels[c][i]) ** 2;
      ref += mix.channels[c][i] ** 2;
    }
    expect(10 * Math.log10(e / ref)).toBeLessThan(-60);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const shippedStages = JSON.parse(readFileSync(path.join('resources', 'models', 'default', 'card.json'), 'utf8')).stages;
    expect(m.model).toMatchObject({ name: expect.any(String), version: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), stages: shippedStages });
    expect(m.device).toMatchObject({ provider: expect.stringMatching(/^(cpu|cuda)$/) });
    expect(m.parameters).toMatchObject({ sources: [{ x: 0.25, y: 0.5, at: 1 }, { x: 0.75, y: 0.5, at: 1 }], format: 'f32', mask: 'soft' });
    expect(m.stems).toMatchObject({ residual: 'residual.wav', sampleRate: 44100, channels: 2, frames: mix.channels[0].length });
    expect(m.timings.separateSec).toBeGreaterThan(0);
    expect(m.activity.sources).toHaveLength(2);
    expect(m.activity.sources[0].values.length).toBeGreaterThanOrEqual(23);
    for (const v of m.activity.sources[0].values) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('4:3 at 48 kHz with wav16, binary masks and --device cuda (falls back to the CPU with a note)', async () => {
    const out = path.join(dir, 'out-mov');
    const r = await cli(['separate', mov, '--source', '0.5,0.5', '--out', out, '--mask', 'binary', '--device', 'cuda']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    if (m.device.provider === 'cpu') expect(r.stderr).toMatch(/^stemsight: note: CUDA is not available \(.*\); running on the CPU\n$/);
    const s = await readWav(path.join(out, 'source-1.wav'));
    expect(s.sampleRate).toBe(48000);
    expect(s.bitsPerSample).toBe(16);
    expect(existsSync(path.join(out, 'residual.wav'))).toBe(true);
    expect(m.parameters.mask).toBe('binary');
  });

  it('bad input: one line, non-zero exit', async () => {
    const out = path.join(dir, 'bad');
    expectOneLineError(await cli(['separate', mp4, '--source', '1.5,0.2', '--out', out]), /--source '1\.5,0\.2' must be X,Y/);
    expectOneLineError(await cli(['separate', mp4, '--source', 'left', '--out', out]), /--source 'left': 'left' is not a sound class Stemsight knows; use one of guitar/);
    expectOneLineError(await cli(['separate', mp4, '--source', '0.5', '--out', out]), /must be X,Y/);
    expectOneLineError(await cli(['separate', mp4, '--out', out]), /at least one --source/);
    expectOneLineError(await cli(['separate', mp4, '--source', '0.5,0.5']), /--out DIR is required/);
    expectOneLineError(await cli(['separate', mp4, '--source', '0.5,0.5', '--out', out, '--format', 'mp3']), /--format must be one of wav16, wav24, f32/);
    expectOneLineError(await cli(['separate', path.join(dir, 'silent.mp4'), '--source', '0.5,0.5', '--out', out]), /no audio track/);
    expectOneLineError(await cli(['separate', path.join(dir, 'cut.mp4'), '--source', '0.5,0.5', '--out', out]), /cut short|incomplete|damaged/);
    expectOneLineError(await cli(['separate', mp4, '--source', '0.5,0.5', '--out', out], { STEMSIGHT_MODEL_DIR: path.join(dir, 'no-model') }), /no model found: .*card\.json is missing/);
    expect(existsSync(path.join(out, 'source-1.wav'))).toBe(false);
  });
});

describe('stemsight localize', () => {
  it('writes heatmaps.json over the whole frame and a PNG overlay per second', async () => {
    const out = path.join(dir, 'loc');
    const r = await cli(['localize', mp4, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(readFileSync(path.join(out, 'heatmaps.json'), 'utf8'));
    expect(h.grid).toEqual([16, 28]);
    expect(h.frames.length).toBeGreaterThanOrEqual(23);
    expect(h.frames[1].time).toBeCloseTo(0.125, 6);
    for (const f of h.frames.slice(0, 3)) {
      expect(f.values).toHaveLength(16 * 28);
      for (const v of f.values) expect(v >= 0 && v <= 1).toBe(true);
    }
    const pngs = readdirSync(out).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBe(3);
  });
});

describe('stemsight doctor', () => {
  it('reports the model, the provider and parity', async () => {
    const r = await cli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.parity.ok).toBe(true);
    expect(j.device.provider).toMatch(/^(cpu|cuda)$/);
  });
});
