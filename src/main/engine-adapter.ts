/**
 * Thin adapter from the media engine (src/main/engine/media) to the
 * MediaEngine port of api.ts: flattens the probe, and turns the engine's interleaved min/max
 * peaks of the mono mixture into one absolute peak per bucket (what the waveform draws).
 */
import { probeMedia } from './engine/media/probe';
import { computePeaks } from './engine/media/peaks';
import type { MediaEngine, PeaksResult, ProbeResult } from './api';

export function engineMedia(): MediaEngine {
  return {
    async probe(file): Promise<ProbeResult> {
      const info = await probeMedia(file);
      return {
        durationSec: info.durationSec,
        hasVideo: Boolean(info.video),
        hasAudio: Boolean(info.audio),
        width: info.video?.width ?? null,
        height: info.video?.height ?? null,
        fps: info.video?.fps ?? null,
        sampleRate: info.audio?.sampleRate ?? null,
        channels: info.audio?.channels ?? null,
      };
    },
    async peaks(file, peaksPerSecond): Promise<PeaksResult> {
      const p = await computePeaks(file, { peaksPerSecond });
      const abs = new Float32Array(p.length);
      for (let i = 0; i < p.length; i++) abs[i] = Math.max(Math.abs(p.data[2 * i]), Math.abs(p.data[2 * i + 1]));
      return { peaksPerSecond: p.peaksPerSecond, durationSec: p.durationSec, channels: [abs] };
    },
  };
}
