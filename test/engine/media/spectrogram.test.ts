import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSpectrogram, type SpectrogramImage } from '../../../src/main/engine/media/spectrogram';
import { WavRangeReader, writeWav } from '../../../src/main/engine/media/wav';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-spec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rate = 16000;
const file = path.join(tmp, 'tones.wav');
/** 2 s of 500 Hz at -6 dBFS, then 2 s of 4 kHz at -6 dBFS, stereo. */
beforeAll(async () => {
  const x = new Float32Array(4 * rate);
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * (i < 2 * rate ? 500 : 4000) * i) / rate);
  await writeWav(file, { sampleRate: rate, channels: [x, x] }, 'wav16');
});

/** Frequency at the middle of the loudest row of column c. */
function peakHz(img: SpectrogramImage, c: number): { hz: number; value: number } {
  let best = 0;
  for (let r = 1; r < img.rows; r++) if (img.data[r * img.columns + c] > img.data[best * img.columns + c]) best = r;
  const hz = img.minHz * (img.maxHz / img.minHz) ** (1 - (best + 0.5) / img.rows);
  return { hz, value: img.data[best * img.columns + c] };
}

describe('computeSpectrogram', () => {
  it('shows each tone in its own row, at its level, in the right half of the image', async () => {
    const img = await computeSpectrogram(file, { fromSec: 0, spanSec: 4, columns: 40, rows: 128 });
    expect(img.data.length).toBe(40 * 128);
    expect(img.maxHz).toBe(8000);
    const early = peakHz(img, 5);
    const late = peakHz(img, 35);
    expect(early.hz / 500).toBeGreaterThan(0.95);
    expect(early.hz / 500).toBeLessThan(1.05);
    expect(late.hz / 4000).toBeGreaterThan(0.95);
    expect(late.hz / 4000).toBeLessThan(1.05);
    // -6 dBFS on a -100..0 dB scale: about 0.94 of 255.
    expect(early.value).toBeGreaterThan(0.92 * 255);
    expect(early.value).toBeLessThan(0.96 * 255);
  });

  it('shows any time range alone (zoomed in) and silence past the end of the file', async () => {
    const zoomed = await computeSpectrogram(file, { fromSec: 2.5, spanSec: 0.5, columns: 200, rows: 64 });
    for (const c of [0, 100, 199]) expect(peakHz(zoomed, c).hz / 4000).toBeCloseTo(1, 1);
    const after = await computeSpectrogram(file, { fromSec: 10, spanSec: 1, columns: 10, rows: 16 });
    expect(Math.max(...after.data)).toBe(0);
  });

  it('refuses sizes it will not draw', async () => {
    await expect(computeSpectrogram(file, { fromSec: 0, spanSec: 1, columns: 10000, rows: 64 })).rejects.toThrow(/columns/);
    await expect(computeSpectrogram(file, { fromSec: 0, spanSec: 0, columns: 10, rows: 64 })).rejects.toThrow(/span/);
  });
});

describe('WavRangeReader', () => {
  it('reads a range of frames mixed to mono, zero outside the file', async () => {
    const r = await WavRangeReader.open(file);
    try {
      expect(r.frames).toBe(4 * rate);
      const x = await r.readMono(-2, 6);
      expect(Array.from(x.subarray(0, 2))).toEqual([0, 0]);
      expect(x[3]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 500) / rate), 3);
      const tail = await r.readMono(4 * rate - 1, 3);
      expect(tail[1]).toBe(0);
    } finally {
      await r.close();
    }
  });
});
