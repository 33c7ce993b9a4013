import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, expectOneLineError, pexec, root } from './run-cli';
import { makeMediaFixtures, type MediaFixtures } from '../fixtures/make-media';
import { writeWav } from '../../src/main/engine/media/wav';
import { bssEvalSources } from '../../src/main/engine/metrics/bss_eval';

let fx: MediaFixtures;
beforeAll(() => {
  fx = makeMediaFixtures();
});
afterAll(() => fx.cleanup());

describe('stemsight probe', () => {
  it('prints JSON with duration, fps, size, rate and channels for each container', async () => {
    const expected = {
      mp4: { width: 160, height: 90, fps: 10, sampleRate: 48000, channels: 2 },
      mov: { width: 160, height: 120, fps: 12, sampleRate: 44100, channels: 1 },
      mkv: { width: 96, height: 96, fps: 10, sampleRate: 22050, channels: 2 },
      webm: { width: 128, height: 72, fps: 10, sampleRate: 48000, channels: 2 },
    } as const;
    for (const [kind, want] of Object.entries(expected)) {
      const r = await cli(['probe', fx[kind as keyof typeof expected]]);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ ...want, hasAudio: true, hasVideo: true });
      expect(j.duration).toBeGreaterThan(1.4);
    }
  });

  it('fails with distinct one-line errors for no audio, truncated, text-as-mp4 and missing files', async () => {
    const [noAudio, truncated, text, missing] = await Promise.all([
      cli(['probe', fx.noAudio]),
      cli(['probe', fx.truncated]),
      cli(['probe', fx.textAsMp4]),
      cli(['probe', path.join(fx.dir, 'missing.mp4')]),
    ]);
    expectOneLineError(noAudio, /no audio track/);
    expectOneLineError(truncated, /incomplete|cut short/);
    expectOneLineError(text, /text file, not a video/);
    expectOneLineError(missing, /does not exist/);
  });

  it('--allow-no-audio reports a silent video', async () => {
    const r = await cli(['probe', fx.noAudio, '--allow-no-audio']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hasAudio: false, sampleRate: null, width: 160 });
  });

  it('shows the stack only with STEMSIGHT_DEBUG=1', async () => {
    const r = await cli(['probe', fx.textAsMp4], { STEMSIGHT_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stemsight: /);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('stemsight eval', () => {
  const refDir = path.resolve(root, '../shared/reference/bss_eval');
  it.skipIf(!existsSync(refDir))('matches a MATLAB reference case', async () => {
    const files = (d: string) => readdirSync(path.join(refDir, d)).sort().map((f) => path.join(refDir, d, f));
    const r = await cli(['eval', '--reference', ...files('ref05'), '--estimate', ...files('est05')]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    const want = JSON.parse(readFileSync(path.join(refDir, 'output05.json'), 'utf8')).Sources;
    expect(Object.keys(got)).toEqual(['sdr', 'sir', 'sar', 'permutation']);
    got.sdr.forEach((v: number, i: number) => expect(Math.abs(v - want['Source to Distortion'][i])).toBeLessThan(0.01));
    got.sar.forEach((v: number, i: number) => expect(Math.abs(v - want['Source to Artifact'][i])).toBeLessThan(0.01));
    expect(got.permutation).toEqual(want['Source permutation']);
  });

  it('averages stereo files to mono, pads lengths, and honours --no-permutation', async () => {
    const n = 4000;
    const tone = (f: number, len = n) => Float32Array.from({ length: len }, (_, i) => Math.sin((2 * Math.PI * f * i) / 8000) + 0.1 * Math.sin(i * i * 1e-4));
    const a = tone(300), b = tone(710);
    const p = (name: string) => path.join(fx.dir, name);
    await writeWav(p('r1.wav'), { sampleRate: 8000, channels: [a, a] }, 'f32'); // stereo, same in both channels
    await writeWav(p('r2.wav'), { sampleRate: 8000, channels: [b] }, 'f32');
    const e1 = b.map((v, i) => v + 0.2 * a[i]);
    const e2 = a.subarray(0, n - 100).map((v, i) => v + 0.1 * b[i]);
    await writeWav(p('e1.wav'), { sampleRate: 8000, channels: [e1] }, 'f32');
    await writeWav(p('e2.wav'), { sampleRate: 8000, channels: [e2, e2] }, 'f32');
    const args = ['eval', '--reference', p('r1.wav'), p('r2.wav'), '--estimate', p('e1.wav'), p('e2.wav')];
    const withPerm = await cli(args);
    expect(withPerm.code, withPerm.stderr).toBe(0);
    const j = JSON.parse(withPerm.stdout);
    expect(j.permutation).toEqual([1, 0]);
    const e2pad = new Float32Array(n);
    e2pad.set(e2);
    const direct = bssEvalSources([a, b], [e1, e2pad]);
    j.sdr.forEach((v: number, i: number) => expect(v).toBeCloseTo(direct.sdr[i], 6));
    const noPerm = JSON.parse((await cli([...args, '--no-permutation'])).stdout);
    expect(noPerm.permutation).toEqual([0, 1]);
    expect(noPerm.sdr[0]).toBeLessThan(j.sdr[0]);
  });

  it('rejects bad input with one line', async () => {
    const p = (name: string) => path.join(fx.dir, name);
    await writeWav(p('x8k.wav'), { sampleRate: 8000, channels: [Float32Array.from({ length: 800 }, (_, i) => Math.sin(i))] }, 'wav16');
    await writeWav(p('x16k.wav'), { sampleRate: 16000, channels: [Float32Array.from({ length: 800 }, (_, i) => Math.cos(i))] }, 'wav16');
    await writeWav(p('silent.wav'), { sampleRate: 8000, channels: [new Float32Array(800)] }, 'wav16');
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), '--estimate']), /needs at least one value/);
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), p('x8k.wav'), '--estimate', p('x8k.wav')]), /one estimate per reference/);
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), '--estimate', p('x16k.wav')]), /16000 Hz/);
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), '--estimate', p('silent.wav')]), /silent/);
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), '--estimate', fx.textAsMp4]), /text file/);
    expectOneLineError(await cli(['eval', '--reference', p('x8k.wav'), '--estimate', p('x8k.wav'), '--bogus']), /unknown option --bogus/);
  });

  it('reads non-WAV audio through ffmpeg', async () => {
    const r = await cli(['eval', '--reference', fx.mkv, '--estimate', fx.mkv]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sdr[0]).toBeGreaterThan(100);
  });
});

describe('stemsight help', () => {
  it('lists commands, and every command has --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^ {2}(\w+) {2,}/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['probe', 'eval', 'bench']));
    // One process per command, side by side: in sequence they took over a minute on a busy machine.
    const helps = await Promise.all(names.map((name) => cli([name, '--help'])));
    helps.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: stemsight ${names[i]}`);
      expect(r.stdout).toContain('--help');
    });
    expectOneLineError(await cli(['separate-everything']), /unknown command/);
  }, 180_000);

  it('runs through npx from the repository root', async () => {
    const r = await pexec('npx', ['--no-install', 'stemsight', 'probe', fx.mp4], { cwd: root });
    expect(JSON.parse(r.stdout)).toMatchObject({ fps: 10, sampleRate: 48000 });
  });
});
