import { decodeAudioStream } from '../media/audio';
import type { MediaInfo } from '../media/probe';
import { magnitude, stft } from '../dsp/stft';
import type { ModelCard } from '../models/card';

/**
 * The models see the mono 11025 Hz track in windows of `windowSamples` (65535 -> 256 STFT frames).
 * Window w starts at sample w * hop; with hop a multiple of the STFT hop, frame j of window w is
 * global model frame w * hop / stftHop + j, so overlapping windows share one frame grid.
 */

export interface ModelWindow {
  index: number;
  /** First sample (at the model rate) of the window. */
  start: number;
  /** windowSamples samples; zero after the end of the audio. */
  samples: Float32Array;
  /** Samples of real audio in the window (the rest is zero padding). */
  valid: number;
}

/** Whether window w is needed for a track of `total` samples (the previous one did not reach the end). */
export function needsWindow(w: number, total: number, windowSamples: number, hop: number): boolean {
  return w === 0 || (w * hop < total && w * hop + windowSamples - hop < total);
}

export function windowCount(total: number, windowSamples: number, hop: number): number {
  let w = 0;
  while (needsWindow(w, total, windowSamples, hop)) w++;
  return w;
}

/**
 * Slide over a stream of mono chunks: yields each window once it is complete (or the stream has
 * ended). Holds at most one window plus one chunk.
 */
export async function* slideWindows(
  chunks: AsyncIterable<Float32Array>,
  windowSamples: number,
  hop: number,
  opts: { firstWindow?: number; lastWindow?: number } = {},
): AsyncGenerator<ModelWindow> {
  let w = opts.firstWindow ?? 0;
  const last = opts.lastWindow ?? Infinity;
  let buf = new Float32Array(windowSamples * 2);
  let bufStart = w * hop; // sample index of buf[0]
  let filled = 0; // samples in buf
  let seen = w * hop; // samples received (absolute) once past bufStart
  const emit = (total: number): ModelWindow => {
    const start = w * hop;
    const samples = new Float32Array(windowSamples);
    const from = start - bufStart;
    const n = Math.max(0, Math.min(windowSamples, filled - from));
    samples.set(buf.subarray(from, from + n));
    return { index: w, start, samples, valid: Math.max(0, Math.min(windowSamples, total - start)) };
  };
  let absolute = 0;
  for await (const chunk of chunks) {
    // Drop what lies before the first needed sample.
    let c = chunk;
    if (absolute + c.length <= bufStart) {
      absolute += c.length;
      continue;
    }
    if (absolute < bufStart) c = c.subarray(bufStart - absolute);
    absolute = Math.max(absolute, bufStart) + c.length;
    if (filled + c.length > buf.length) {
      const next = new Float32Array(Math.max(buf.length, 2 * (filled + c.length)));
      next.set(buf.subarray(0, filled));
      buf = next;
    }
    buf.set(c, filled);
    filled += c.length;
    seen = bufStart + filled;
    while (w <= last && seen >= w * hop + windowSamples) {
      yield emit(Infinity);
      w++;
      // Keep only from the next window's start.
      const drop = w * hop - bufStart;
      if (drop > 0) {
        buf.copyWithin(0, drop, filled);
        filled -= drop;
        bufStart += drop;
      }
    }
    if (w > last) return;
  }
  const total = seen;
  while (w <= last && needsWindow(w, total, windowSamples, hop)) {
    yield emit(total);
    w++;
  }
}

/** Mono chunks of a media file's audio at the model rate. */
export async function* monoChunks(file: string, sampleRate: number, opts: { info?: MediaInfo; signal?: AbortSignal; startSec?: number; durationSec?: number } = {}): AsyncGenerator<Float32Array> {
  for await (const chunk of decodeAudioStream(file, { sampleRate, channels: 1, chunkFrames: 32768, ...opts })) yield chunk.channels[0];
}

/** Linear STFT magnitude (bins x frames, frequency-major) of one window, as the audio session wants it. */
export function windowMagnitude(card: ModelCard, samples: Float32Array): Float32Array {
  const { nFft, hop } = card.audio;
  const spec = stft(samples, { nFft, hop, center: true, padMode: 'reflect' });
  return magnitude(spec);
}

/**
 * Spans: for video frame f, weights over the window's STFT frames whose centres lie in the frame's
 * time span [f/fps, (f+1)/fps), summing to 1 (training/world/samples.py frame_span_weights); when
 * none does, the nearest STFT frame.
 */
export function frameSpans(card: ModelCard, windowStart: number, frameIndices: number[], fps: number): Float32Array {
  const { sampleRate, hop, frames } = card.audio;
  const out = new Float32Array(frameIndices.length * frames);
  frameIndices.forEach((f, r) => {
    const t0 = f / fps, t1 = (f + 1) / fps;
    let count = 0;
    for (let j = 0; j < frames; j++) {
      const c = (windowStart + j * hop) / sampleRate;
      if (c >= t0 && c < t1) {
        out[r * frames + j] = 1;
        count++;
      }
    }
    if (count === 0) {
      const j = Math.min(frames - 1, Math.max(0, Math.round(((t0 * sampleRate - windowStart) / hop))));
      out[r * frames + j] = 1;
      count = 1;
    }
    for (let j = 0; j < frames; j++) out[r * frames + j] /= count;
  });
  return out;
}
