import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureMixLoudness } from '../../../src/main/engine/export/loudness';
import { writeWav } from '../../../src/main/engine/media/wav';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-loudness-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rate = 48000;
function tone(db: number, sec: number, hz: number): Float32Array {
  const x = new Float32Array(Math.round(sec * rate));
  for (let i = 0; i < x.length; i++) x[i] = 10 ** (db / 20) * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

describe('measureMixLoudness', () => {
  it('measures the mix with the mixer levels: gain, mute and solo as the export applies them', async () => {
    const a = path.join(tmp, 'a.wav');
    const b = path.join(tmp, 'b.wav');
    const t = tone(-23, 6, 997);
    await writeWav(a, { sampleRate: rate, channels: [t, t] }, 'f32');
    const loud = tone(-6, 6, 440);
    await writeWav(b, { sampleRate: rate, channels: [loud, loud] }, 'f32');
    const level = { gainDb: 0, pan: 0, mute: false, solo: false };

    const alone = await measureMixLoudness([{ path: a, ...level }, { path: b, ...level, mute: true }]);
    expect(alone.integrated).toBeCloseTo(-23, 1);
    expect(alone.durationSec).toBeCloseTo(6, 3);

    const down = await measureMixLoudness([{ path: a, ...level, gainDb: -6, solo: true }, { path: b, ...level }]);
    expect(down.integrated).toBeCloseTo(-29, 1);

    const both = await measureMixLoudness([{ path: a, ...level }, { path: b, ...level }]);
    expect(both.integrated).toBeGreaterThan(-8);
    expect(both.samplePeak).toBeGreaterThan(0.5);
  });

  it('refuses an empty stem list with a message that says what to do', async () => {
    await expect(measureMixLoudness([])).rejects.toThrow(/separate some sources/);
  });
});
