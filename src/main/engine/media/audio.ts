import path from 'node:path';
import { toMono } from '../dsp/mono';
import { MediaError } from './errors';
import { ffmpegBuiltWith } from './binaries';
import { probeMedia, requireAudio, type MediaInfo } from './probe';
import { inputArg, lastLine, streamTool } from './process';

/**
 * Streaming audio decode through ffmpeg (32-bit float PCM on a pipe). Memory stays at one chunk
 * however long the media is. Defaults: the media's own rate and channels. With channels: 1 the
 * channels are averaged here (not by ffmpeg's downmix matrix), which is the mono the models see.
 */

export interface DecodeAudioOptions {
  /** Output rate; default the media's. Resampling uses soxr when this ffmpeg has it. */
  sampleRate?: number;
  /** Output channels; default the media's. 1 = mean of all channels. */
  channels?: number;
  startSec?: number;
  durationSec?: number;
  /** Frames per yielded chunk (default 65536). */
  chunkFrames?: number;
  /** Skip probing when the caller already has it. */
  info?: MediaInfo;
  signal?: AbortSignal;
}

export interface AudioChunk {
  /** One array per channel, all of the same length. */
  channels: Float32Array[];
  /** Index of the chunk's first frame, counted from startSec, at the output rate. */
  startFrame: number;
}

export interface DecodedAudio {
  sampleRate: number;
  channels: Float32Array[];
}

function checkRange(opts: DecodeAudioOptions): void {
  for (const [k, v] of [['startSec', opts.startSec], ['durationSec', opts.durationSec]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new MediaError('BAD_ARGUMENT', `${k} must be a number >= 0, got ${v}`);
  }
  if (opts.sampleRate !== undefined && !(Number.isInteger(opts.sampleRate) && opts.sampleRate >= 1000 && opts.sampleRate <= 768000)) {
    throw new MediaError('BAD_ARGUMENT', `sample rate must be an integer in 1000..768000, got ${opts.sampleRate}`);
  }
  if (opts.channels !== undefined && !(Number.isInteger(opts.channels) && opts.channels >= 1 && opts.channels <= 64)) {
    throw new MediaError('BAD_ARGUMENT', `channels must be an integer in 1..64, got ${opts.channels}`);
  }
}

/** Map ffmpeg's stderr to a clear error. */
export function decodeFailure(file: string, stderr: string): MediaError {
  const name = path.basename(file);
  if (/matches no streams/i.test(stderr)) return new MediaError('NO_AUDIO', `${name} has no audio track; choose a clip with sound`, file);
  if (/partial file|moov atom not found|end of file/i.test(stderr)) {
    return new MediaError('TRUNCATED', `${name} is cut short; copy or export it again`, file);
  }
  return new MediaError('DECODE_FAILED', `ffmpeg could not decode ${name}: ${lastLine(stderr) || 'unknown error'}`, file);
}

/** Resolved output format of a decode: what the chunks will contain. */
export async function audioFormat(file: string, opts: DecodeAudioOptions = {}): Promise<{ sampleRate: number; channels: number; info: MediaInfo }> {
  checkRange(opts);
  const info = opts.info ?? (await probeMedia(file, { signal: opts.signal }));
  requireAudio(info);
  return { sampleRate: opts.sampleRate ?? info.audio.sampleRate, channels: opts.channels ?? info.audio.channels, info };
}

export async function* decodeAudioStream(file: string, opts: DecodeAudioOptions = {}): AsyncGenerator<AudioChunk> {
  const { sampleRate, channels: outChannels, info } = await audioFormat(file, opts);
  const src = info.audio!;
  // For mono, decode every channel and average here; otherwise let ffmpeg remix if asked.
  const decodeChannels = outChannels === 1 ? src.channels : outChannels;
  const args = ['-nostdin', '-v', 'error'];
  if (opts.startSec) args.push('-ss', String(opts.startSec));
  args.push('-i', inputArg(file));
  if (opts.durationSec !== undefined) args.push('-t', String(opts.durationSec));
  args.push('-map', '0:a:0', '-vn', '-sn', '-dn');
  if (sampleRate !== src.sampleRate) {
    args.push('-af', ffmpegBuiltWith('libsoxr') ? `aresample=${sampleRate}:resampler=soxr` : `aresample=${sampleRate}`);
  }
  if (decodeChannels !== src.channels) args.push('-ac', String(decodeChannels));
  args.push('-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1');

  const chunkFrames = Math.max(1, Math.floor(opts.chunkFrames ?? 65536));
  const frameBytes = 4 * decodeChannels;
  let startFrame = 0;
  for await (const block of streamTool('ffmpeg', args, {
    blockBytes: chunkFrames * frameBytes,
    signal: opts.signal,
    onFailure: (stderr) => decodeFailure(file, stderr),
  })) {
    const frames = Math.floor(block.length / frameBytes);
    if (frames === 0) continue;
    // Copy into an aligned buffer before viewing it as floats (pipe buffers may be unaligned).
    const interleaved = new Float32Array(frames * decodeChannels);
    new Uint8Array(interleaved.buffer).set(block.subarray(0, frames * frameBytes));
    const chans = Array.from({ length: decodeChannels }, () => new Float32Array(frames));
    for (let i = 0, p = 0; i < frames; i++) for (let c = 0; c < decodeChannels; c++) chans[c][i] = interleaved[p++];
    yield { channels: outChannels === 1 && decodeChannels > 1 ? [toMono(chans)] : chans, startFrame };
    startFrame += frames;
  }
}

/** Whole decode in memory: for short ranges (previews, tests), not hour-long media. */
export async function readAudio(file: string, opts: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  const { sampleRate, channels, info } = await audioFormat(file, opts);
  const parts: Float32Array[][] = [];
  let total = 0;
  for await (const chunk of decodeAudioStream(file, { ...opts, info })) {
    parts.push(chunk.channels);
    total += chunk.channels[0].length;
  }
  const out = Array.from({ length: channels }, () => new Float32Array(total));
  let o = 0;
  for (const p of parts) {
    p.forEach((c, ch) => out[ch].set(c, o));
    o += p[0].length;
  }
  return { sampleRate, channels: out };
}

/** The models' input: mono (mean of channels) at `sampleRate` (default 11025 Hz). */
export async function readMono(file: string, opts: Omit<DecodeAudioOptions, 'channels'> = {}): Promise<Float32Array> {
  const { channels } = await readAudio(file, { ...opts, sampleRate: opts.sampleRate ?? 11025, channels: 1 });
  return channels[0];
}
