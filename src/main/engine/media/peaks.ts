import { decodeAudioStream } from './audio';
import { probeMedia, requireAudio, type MediaInfo } from './probe';
import { MediaError } from './errors';

/**
 * Min/max peaks of the mono mixture for waveform display, computed while streaming.
 * `data` interleaves [min0, max0, min1, max1, ...], one pair per bucket of 1/peaksPerSecond s;
 * wavesurfer.js draws it when given as `peaks: [data]` with `duration: durationSec`.
 */

export interface Peaks {
  peaksPerSecond: number;
  sampleRate: number;
  /** Number of buckets (data.length / 2). */
  length: number;
  durationSec: number;
  data: Float32Array;
}

const MAX_GUESS_SEC = 4 * 3600;

export async function computePeaks(
  file: string,
  opts: { peaksPerSecond?: number; info?: MediaInfo; signal?: AbortSignal } = {},
): Promise<Peaks> {
  const peaksPerSecond = opts.peaksPerSecond ?? 100;
  if (!(peaksPerSecond > 0 && peaksPerSecond <= 10000)) throw new MediaError('BAD_ARGUMENT', `peaksPerSecond must be in (0, 10000], got ${peaksPerSecond}`);
  const info = opts.info ?? (await probeMedia(file, { signal: opts.signal }));
  requireAudio(info);
  const sampleRate = info.audio.sampleRate;
  const bucket = sampleRate / peaksPerSecond;
  // Grows by doubling; sized from the probed duration so it rarely needs to. A header can claim
  // any duration (1e9 s), so the first guess is capped and only real audio makes it grow.
  const guessSec = Math.min(info.durationSec, MAX_GUESS_SEC);
  let data = new Float32Array(2 * Math.max(16, Math.ceil(guessSec * peaksPerSecond) + 2));
  let count = 0;
  let lo = Infinity, hi = -Infinity;
  let frame = 0;
  let nextEdge = bucket;
  const flush = () => {
    if (2 * count + 2 > data.length) {
      const bigger = new Float32Array(data.length * 2);
      bigger.set(data);
      data = bigger;
    }
    data[2 * count] = lo === Infinity ? 0 : lo;
    data[2 * count + 1] = hi === -Infinity ? 0 : hi;
    count++;
    lo = Infinity;
    hi = -Infinity;
  };
  for await (const chunk of decodeAudioStream(file, { channels: 1, info, signal: opts.signal })) {
    const x = chunk.channels[0];
    for (let i = 0; i < x.length; i++, frame++) {
      if (frame >= nextEdge) {
        flush();
        nextEdge = (count + 1) * bucket;
      }
      const v = x[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo !== Infinity) flush();
  return { peaksPerSecond, sampleRate, length: count, durationSec: frame / sampleRate, data: data.slice(0, 2 * count) };
}
