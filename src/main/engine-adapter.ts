/**
 * Thin adapter from the media engine (src/main/engine/media, owned by engine-core) to the
 * MediaEngine port of api.ts. Until engine-core's computePeaks lands, peaks are computed here
 * from its streaming decoder: absolute peak per bin, per channel, never holding the whole file.
 */
import { probeMedia } from './engine/media/probe';
import { decodeAudioStream } from './engine/media/audio';
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
      const info = await probeMedia(file);
      if (!info.audio) throw new Error('the file has no audio track');
      const rate = info.audio.sampleRate;
      const nch = Math.min(2, info.audio.channels); // the mixture view shows at most a stereo pair
      const framesPerBin = rate / peaksPerSecond;
      const bins = Math.max(1, Math.ceil(info.durationSec * peaksPerSecond));
      const out = Array.from({ length: nch }, () => new Float32Array(bins));
      let frames = 0;
      for await (const chunk of decodeAudioStream(file, { info, channels: nch })) {
        for (let c = 0; c < nch; c++) {
          const src = chunk.channels[c];
          const dst = out[c];
          for (let i = 0; i < src.length; i++) {
            const bin = Math.floor((chunk.startFrame + i) / framesPerBin);
            if (bin >= bins) break;
            const a = Math.abs(src[i]);
            if (a > dst[bin]) dst[bin] = a;
          }
        }
        frames = Math.max(frames, chunk.startFrame + (chunk.channels[0]?.length ?? 0));
      }
      const durationSec = Math.max(info.durationSec, frames / rate);
      return { peaksPerSecond, durationSec, channels: out };
    },
  };
}
