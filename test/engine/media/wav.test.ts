import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWavWriter, parseWav, readWav, writeWav, WavError, type WavFormat } from '../../../src/main/engine/media/wav';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';
import { makeMediaFixtures, type MediaFixtures } from '../../fixtures/make-media';

let dir: string;
let fx: MediaFixtures;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-wav-'));
  fx = makeMediaFixtures();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  fx.cleanup();
});

function signal(n: number, phase: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin(0.05 * i + phase));
}

const quantum: Record<WavFormat, number> = { wav16: 1 / 32768, wav24: 1 / 8388608, f32: 0 };

describe('WAV round trip', () => {
  for (const format of ['wav16', 'wav24', 'f32'] as const) {
    for (const channels of [1, 2, 5]) {
      it(`${format}, ${channels} channel(s)`, async () => {
        const audio = { sampleRate: 22050, channels: Array.from({ length: channels }, (_, c) => signal(3001, c)) };
        const file = path.join(dir, `rt-${format}-${channels}.wav`);
        await writeWav(file, audio, format);
        const back = await readWav(file);
        expect(back.sampleRate).toBe(22050);
        expect(back.channels.length).toBe(channels);
        expect(back.float).toBe(format === 'f32');
        back.channels.forEach((c, ch) => {
          expect(c.length).toBe(3001);
          let err = 0;
          for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(c[i] - audio.channels[ch][i]));
          expect(err).toBeLessThanOrEqual(quantum[format] / 2 + 1e-9);
        });
      });
    }
  }

  it('clips integer formats instead of wrapping around', async () => {
    const file = path.join(dir, 'clip.wav');
    await writeWav(file, { sampleRate: 8000, channels: [Float32Array.from([1.5, -1.5, 1, -1, 0.5])] }, 'wav16');
    const back = (await readWav(file)).channels[0];
    expect(Array.from(back)).toEqual([32767 / 32768, -1, 32767 / 32768, -1, 0.5]);
    await writeWav(file, { sampleRate: 8000, channels: [Float32Array.from([2, -2])] }, 'wav24');
    expect(Array.from((await readWav(file)).channels[0])).toEqual([8388607 / 8388608, -1]);
  });

  it('streams chunks, commits atomically, and leaves nothing behind on abort', async () => {
    const file = path.join(dir, 'stream.wav');
    const w = await createWavWriter(file, { sampleRate: 48000, channels: 2, format: 'wav24' });
    for (let k = 0; k < 5; k++) await w.write([signal(1000, k), signal(1000, k + 1)]);
    expect(readdirSync(dir)).not.toContain('stream.wav');
    await w.close();
    const back = await readWav(file);
    expect(back.channels[0].length).toBe(5000);
    expect(back.channels[1][4999]).toBeCloseTo(signal(1000, 5)[999], 5);

    const aborted = path.join(dir, 'aborted.wav');
    const a = await createWavWriter(aborted, { sampleRate: 8000, channels: 1, format: 'f32' });
    await a.write([signal(10, 0)]);
    await a.abort();
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('rejects channel-count mismatches and non-WAV data with clear errors', async () => {
    const w = await createWavWriter(path.join(dir, 'bad.wav'), { sampleRate: 8000, channels: 2, format: 'wav16' });
    await expect(w.write([signal(10, 0)])).rejects.toThrow(/expected 2 channel/);
    await w.abort();
    expect(() => parseWav(Buffer.from('hello world, not a wav'))).toThrow(WavError);
    await expect(readWav(path.join(dir, 'missing.wav'))).rejects.toThrow(/does not exist/);
  });
});

describe('clipping', () => {
  it('counts the samples an integer format cannot hold, and f32 clips none', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-clip-'));
    try {
      const x = Float32Array.from([0, 0.5, 1, -1, 1.2, -1.2, 32767 / 32768, -1.00001]);
      const count = async (format: WavFormat) => {
        const w = await createWavWriter(path.join(dir, `${format}.wav`), { sampleRate: 8000, channels: 2, format });
        await w.write([x, x]);
        await w.close();
        return w.clippedSamples;
      };
      // 1.0 is one step past the largest 16-bit code; -1.0 is exact; -1.00001 rounds to -1.0.
      expect(await count('wav16')).toBe(2 * 3);
      expect(await count('f32')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading WAVs written by ffmpeg', () => {
  it('16-bit stereo', async () => {
    const w = await readWav(fx.wav16);
    expect([w.sampleRate, w.channels.length, w.bitsPerSample]).toEqual([8000, 2, 16]);
    expect(w.channels[0].length).toBe(8000);
  });

  it('24-bit mono', async () => {
    const w = await readWav(fx.wav24);
    expect([w.sampleRate, w.channels.length, w.bitsPerSample]).toEqual([44100, 1, 24]);
    const peak = w.channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.1); // lavfi sine amplitude is 1/8
    expect(peak).toBeLessThan(0.2);
  });

  it('32-bit float, 3 channels (WAVE_FORMAT_EXTENSIBLE)', async () => {
    const buf = readFileSync(fx.wavFloat3ch);
    expect(buf.readUInt16LE(20)).toBe(0xfffe);
    const w = await readWav(fx.wavFloat3ch);
    expect([w.sampleRate, w.channels.length, w.float]).toEqual([16000, 3, true]);
    const i = 123;
    // pan works on the 16-bit sine, so agreement is to 16-bit precision.
    expect(w.channels[1][i]).toBeCloseTo(0.5 * w.channels[0][i], 4);
    expect(w.channels[2][i]).toBeCloseTo(-0.25 * w.channels[0][i], 4);
    expect(Math.abs(w.channels[0][i])).toBeGreaterThan(0.01);
  });

  it('what we write, ffmpeg reads back with the same samples', async () => {
    const file = path.join(dir, 'for-ffmpeg.wav');
    const x = signal(500, 0.3);
    await writeWav(file, { sampleRate: 16000, channels: [x, x, x] }, 'wav24');
    const raw = execFileSync(ffmpegPath(), ['-v', 'error', '-i', file, '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
    const y = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    expect(y.length).toBe(1500);
    expect(y[3 * 100 + 2]).toBeCloseTo(x[100], 6);
  });

  it('parses a streamed WAV whose data size is unknown (0xFFFFFFFF)', () => {
    const raw = execFileSync(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=100:sample_rate=8000:duration=0.25', '-c:a', 'pcm_s16le', '-f', 'wav', '-']);
    writeFileSync(path.join(dir, 'piped.wav'), raw);
    const w = parseWav(raw);
    expect(w.channels[0].length).toBe(2000);
  });
});
