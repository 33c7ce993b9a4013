import { describe, expect, it } from 'vitest';
import type { MixerChannelView, StemView } from '../../src/shared/contract';
import type { TrackView } from '../../src/renderer/src/lib/editor.svelte';
import { heard, trackGain } from '../../src/renderer/src/lib/monitor';
import { addPanned } from '../../src/main/engine/export/mix';
import { channelGain } from '../../src/shared/mixer';

// What the transport plays must be what the export writes: the renderer's per-track gain is
// compared with the gain the export mixes a stem at, over the whole gain range.

function channel(id: number, set: Partial<MixerChannelView> = {}): MixerChannelView {
  return { id, role: 'source', sourceId: id, gainDb: 0, pan: 0, mute: false, solo: false, ...set };
}

function stem(id: number): StemView {
  return { id, kind: 'source', sourceId: id, audioKey: `stem-${id}`, sampleRate: 48000, channels: 2, frames: 480, startSec: 0, preview: false, available: true, activity: null };
}

function track(id: number, ch: MixerChannelView): TrackView {
  return { key: `source-${id}`, role: 'source', name: `S${id}`, colour: '#000000', channel: ch, stem: stem(id), source: null };
}

const original: TrackView = { key: 'original', role: 'original', name: 'Original', colour: '#4cc2ff', channel: channel(99, { role: 'original', sourceId: null }), stem: null, source: null };

/** Gain the export applies to a stem: the mixed level of a unit sample, panned centre, per side. */
function exportedGain(ch: MixerChannelView, all: MixerChannelView[]): number {
  const l = new Float32Array(1);
  const r = new Float32Array(1);
  addPanned(l, r, [Float32Array.of(1), Float32Array.of(1)], channelGain(ch, all), 0);
  return l[0];
}

/** Equal within float32 rounding (the export mixes in float32); 0 only equals 0. */
function expectSameGain(played: number, exported: number, what: string): void {
  expect(Math.abs(played - exported), `${what}: played ${played}, exported ${exported}`).toBeLessThanOrEqual(1e-6 * Math.max(played, exported));
}

describe('playback levels', () => {
  it('play every gain the export writes, down to the silence floor', () => {
    for (const gainDb of [24, 0, -6, -59, -60, -61, -70, -90, -119, -120]) {
      const a = channel(1, { gainDb });
      const b = channel(2);
      const tracks = [track(1, a), track(2, b), original];
      expectSameGain(trackGain(tracks[0], tracks, 'mix', true), exportedGain(a, [a, b]), `${gainDb} dB`);
    }
  });

  it('apply the same solo and mute rule as the export', () => {
    const cases: [Partial<MixerChannelView>, Partial<MixerChannelView>][] = [
      [{ mute: true }, {}],
      [{ solo: true }, {}],
      [{}, { solo: true }],
      [{ mute: true, solo: true }, {}],
      [{ mute: true }, { mute: true, solo: true }],
    ];
    for (const [sa, sb] of cases) {
      const a = channel(1, sa);
      const b = channel(2, sb);
      const tracks = [track(1, a), track(2, b), original];
      expectSameGain(trackGain(tracks[0], tracks, 'mix', true), exportedGain(a, [a, b]), JSON.stringify([sa, sb]));
      expectSameGain(trackGain(tracks[1], tracks, 'mix', true), exportedGain(b, [a, b]), JSON.stringify([sa, sb]));
    }
  });

  it('play the original alone on B, and the stems alone on A', () => {
    const a = channel(1);
    const tracks = [track(1, a), original];
    expect(heard(original, tracks, 'original', true)).toBe(true);
    expect(heard(tracks[0], tracks, 'original', true)).toBe(false);
    expect(heard(original, tracks, 'mix', true)).toBe(false);
    expect(heard(tracks[0], tracks, 'mix', true)).toBe(true);
    // Before any stem exists the original is all there is to hear.
    expect(heard(original, [original], 'mix', false)).toBe(true);
  });

  it("apply the Original's mute and gain wherever the Original plays", () => {
    const muted: TrackView = { ...original, channel: { ...original.channel!, mute: true } };
    expect(heard(muted, [muted], 'original', true)).toBe(false);
    expect(heard(muted, [muted], 'mix', false)).toBe(false);
    const quieter: TrackView = { ...original, channel: { ...original.channel!, gainDb: -6 } };
    expect(trackGain(quieter, [quieter], 'original', true)).toBeCloseTo(10 ** (-6 / 20), 6);
    expect(trackGain(quieter, [quieter], 'mix', false)).toBeCloseTo(10 ** (-6 / 20), 6);
  });
});

describe('what the player plays', () => {
  it('plays a removed source\'s stem with the residual, at its level, until the separation catches up', async () => {
    const { playerTracks } = await import('../../src/renderer/src/lib/monitor');
    const residualChannel = channel(50, { role: 'residual', sourceId: null, gainDb: -6, pan: 0.5 });
    const residual: TrackView = { key: 'residual', role: 'residual', name: 'Residual', colour: '#000000', channel: residualChannel, stem: { ...stem(50), kind: 'residual', sourceId: null }, source: null, parts: [stem(7)] };
    const a = track(1, channel(1));
    const mix = playerTracks([a, residual, original], 'original-1', 'mix', true);
    expect(mix.map((m) => [m.key, m.audioKey, m.pan])).toEqual([
      ['source-1', 'stem-1', 0],
      ['residual', 'stem-50', 0.5],
      ['residual+7', 'stem-7', 0.5],
      ['original', 'original-1', 0],
    ]);
    expect(mix[2].gain).toBeCloseTo(Math.pow(10, -6 / 20), 9);
    expect(mix[2].gain).toBe(mix[1].gain);
    // Muting the residual mutes its parts.
    const muted = playerTracks([a, { ...residual, channel: { ...residualChannel, mute: true } }, original], 'original-1', 'mix', true);
    expect(muted.filter((m) => m.key.startsWith('residual')).map((m) => m.gain)).toEqual([0, 0]);
  });
});
