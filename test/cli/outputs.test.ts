import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../src/main/engine/media/binaries';
import { readWav } from '../../src/main/engine/media/wav';
import { readAudio } from '../../src/main/engine/media/audio';
import { cli, expectOneLineError } from './run-cli';

/** What `separate` leaves on disk: never short stems passed as whole, never stale stems, honest about clipping. */

// Each case runs the real model on CPU; slow on a loaded two-core machine.
const SLOW = 300_000;

let dir: string;
const env = () => ({ STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
const ff = (args: string[]) => execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args]);

let mkv: string;
let loud: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-out-'));
  mkv = path.join(dir, 'clip.mkv');
  ff(['-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=12:duration=4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050:duration=4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_s16le', '-shortest', mkv]);
  // Full-scale square waves on 8 channels (float samples at +-1): the residual goes past what
  // 16-bit integers can hold.
  loud = path.join(dir, 'loud.mkv');
  const squares = Array.from({ length: 8 }, (_, c) => `if(lt(mod(t*${110 + 30 * c},1),0.5),1,-1)`).join('|');
  ff(['-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=12:duration=2', '-f', 'lavfi', '-i', `aevalsrc='${squares}':s=16000:d=2`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_f32le', '-shortest', loud]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('separate: short media', () => {
  it('an MKV cut at 70 % probes as whole but is refused, with no stems written', async () => {
    const whole = readFileSync(mkv);
    const cut = path.join(dir, 'cut.mkv');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const probe = JSON.parse((await cli(['probe', cut], env())).stdout);
    expect(probe.duration).toBeGreaterThan(3.9); // the header still says 4 s
    const out = path.join(dir, 'out-cut');
    expectOneLineError(await cli(['separate', cut, '--source', '0.5,0.5', '--out', out], env()), /cut short or damaged/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, SLOW);
});

describe('separate: the output folder', () => {
  it('a second run with fewer sources leaves no stem of the first', async () => {
    const out = path.join(dir, 'out-again');
    const first = await cli(['separate', mkv, '--source', '0.2,0.5', '--source', '0.5,0.5', '--source', '0.8,0.5', '--out', out], env());
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav', 'source-2.wav', 'source-3.wav']);
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const second = await cli(['separate', mkv, '--source', '0.5,0.5', '--out', out], env());
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'notes.txt', 'residual.wav', 'source-1.wav']);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.stems.sources.map((s: { file: string }) => s.file)).toEqual(['source-1.wav']);
  }, SLOW);

  it('says when wav16 clips the stems of full-scale audio, and f32 keeps them summing to the original', async () => {
    const out16 = path.join(dir, 'loud16');
    const r16 = await cli(['separate', loud, '--source', '0.5,0.5', '--out', out16], env());
    expect(r16.code, r16.stderr).toBe(0);
    const m16 = JSON.parse(readFileSync(path.join(out16, 'manifest.json'), 'utf8'));
    expect(m16.stems.clipped.length).toBeGreaterThan(0);
    for (const c of m16.stems.clipped) expect(r16.stderr).toContain(`note: ${c.samples} samples of ${c.file} went beyond full scale and were clipped in wav16`);

    const out32 = path.join(dir, 'loud32');
    const r32 = await cli(['separate', loud, '--source', '0.5,0.5', '--out', out32, '--format', 'f32'], env());
    expect(r32.code, r32.stderr).toBe(0);
    expect(r32.stderr).toBe('');
    const m32 = JSON.parse(readFileSync(path.join(out32, 'manifest.json'), 'utf8'));
    expect(m32.stems.clipped).toEqual([]);
    const mix = await readAudio(loud);
    const [s1, res] = await Promise.all(['source-1.wav', 'residual.wav'].map((f) => readWav(path.join(out32, f))));
    let worst = 0;
    for (let c = 0; c < 8; c++) for (let i = 0; i < mix.channels[c].length; i++) worst = Math.max(worst, Math.abs(s1.channels[c][i] + res.channels[c][i] - mix.channels[c][i]));
    expect(worst).toBeLessThan(1e-4);
  }, SLOW);
});
