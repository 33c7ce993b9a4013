import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '../../../src/main/engine/media/probe';
import { requireWholeAudio } from '../../../src/main/engine/separation/separate';

const info = (durationSec: number, audioSec?: number): MediaInfo => ({
  path: '/m/clip.mkv',
  sizeBytes: 1,
  durationSec,
  container: 'matroska',
  audio: { sampleRate: 48000, channels: 2, codec: 'aac', ...(audioSec ? { durationSec: audioSec } : {}) },
});

describe('decoded audio against what the file says it holds', () => {
  it('refuses stems shorter than the file claims (cut or truncated while read)', () => {
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 84, 0, undefined)).toThrow(/clip\.mkv holds only 84\.0 s of audio where it says 120\.0 s: the file is cut short or damaged/);
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 37, 0, undefined)).toThrow(/cut short/);
    // A preview range is held to its own length.
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 4, 50, 10)).toThrow(/where it says 10\.0 s/);
  });

  it('accepts encoder padding, a video a little longer than its audio, and an exact range', () => {
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 119.98, 0, undefined)).not.toThrow();
    expect(() => requireWholeAudio('/m/clip.mkv', info(120.4), 120, 0, undefined)).not.toThrow();
    expect(() => requireWholeAudio('/m/clip.mkv', info(125, 100), 100, 0, undefined)).not.toThrow();
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 10, 50, 10)).not.toThrow();
    expect(() => requireWholeAudio('/m/clip.mkv', info(120), 60, 60, undefined)).not.toThrow();
  });
});
