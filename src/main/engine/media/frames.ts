import os from 'node:os';
import path from 'node:path';
import { MediaError } from './errors';
import { frameGeometry, type Fit, type FrameGeometry } from './geometry';
import { probeMedia, requireVideo, type MediaInfo } from './probe';
import { inputArg, lastLine, streamTool } from './process';

/**
 * Streaming video frames (packed RGB24, planar, or grey) at a chosen rate and model size. ffmpeg applies the
 * container's rotation, resamples the frame rate (fps filter: frame n is the one on screen in the
 * middle of its 1/fps, at (n + 0.5) / fps), scales the whole frame and then
 * pads (letterbox) or crops it, exactly as the returned FrameGeometry describes.
 */

export interface DecodeFramesOptions {
  width: number;
  height: number;
  /** Output frame rate; default the media's. */
  fps?: number;
  fit?: Fit;
  startSec?: number;
  durationSec?: number;
  info?: MediaInfo;
  signal?: AbortSignal;
  /**
   * 'rgb' (default): packed RGB24. 'planar': the G, B and R planes one after the other (ffmpeg's
   * gbrp, the same pixels as rgb24), ready for channel-first tensors. 'gray': one byte a pixel,
   * the picture's luma scaled on its own (about 0.299 R + 0.587 G + 0.114 B of those pixels, and
   * cheaper), for trackers that need no colour.
   */
  layout?: FrameLayout;
  /**
   * Also write the picture, grey at this size (letterboxed) and rate, to `file` (lossless H.264 in
   * Matroska, a key frame a second), from the same decode: complete once the stream has ended. Its
   * luma plane holds the grey values exactly (full-range 4:2:0: the libx264 of some ffmpeg builds,
   * the npm one among them, writes no grey and would squeeze them into video range).
   */
  copy?: { file: string; width: number; height: number; fps: number };
}

export type FrameLayout = 'rgb' | 'planar' | 'gray';
const PIX_FMT: Record<FrameLayout, string> = { rgb: 'rgb24', planar: 'gbrp', gray: 'gray' };

export interface VideoFrame {
  index: number;
  /** Presentation time in the media, seconds: startSec + index / fps. */
  timeSec: number;
  /** Row-major, top-left first: width * height * 3 bytes (packed RGB, or G, B, R planes), or width * height grey bytes. */
  pixels: Uint8Array;
}

export interface FrameStream {
  info: MediaInfo;
  fps: number;
  geometry: FrameGeometry;
  frames: AsyncGenerator<VideoFrame>;
}

/** The ffmpeg filter chain that realises a geometry (exported for tests). */
export function geometryFilter(g: FrameGeometry, fps?: number, layout: FrameLayout = 'rgb'): string {
  const parts: string[] = [];
  // The fps filter's default (round=near, keeping the last input frame that rounds to n) makes
  // output frame n the input frame on screen at (n + 0.5) / fps: the middle of the 1/fps the frame
  // stands for, whose audio the models pair it with (the STFT frames centred in [n, n + 1) / fps).
  if (fps) parts.push(`fps=${fps}`);
  // full_chroma_int: interpolate the chroma planes fully when converting to RGB. Without it swscale
  // takes a shortcut when it scales and converts 4:2:0 video in one step, and colours near edges
  // come out wrong (mean error 12.7 against 0.7 of 255 on a test pattern scaled 128x72 -> 56x32),
  // which the visual models notice (up to 0.7 dB SDR on a test clip).
  // (Grey takes the luma plane alone, which needs neither.)
  parts.push(`scale=${g.scaledWidth}:${g.scaledHeight}:flags=bicubic${layout === 'gray' ? '' : '+full_chroma_int'}`);
  if (g.scaledWidth !== g.dstWidth || g.scaledHeight !== g.dstHeight) {
    if (g.fit === 'crop') parts.push(`crop=${g.dstWidth}:${g.dstHeight}:${-g.offsetX}:${-g.offsetY}`);
    else parts.push(`pad=${g.dstWidth}:${g.dstHeight}:${g.offsetX}:${g.offsetY}:color=black`);
  }
  parts.push('setsar=1', layout === 'gray' ? 'format=gray' : 'format=rgb24');
  return parts.join(',');
}

/**
 * Decoder threads: half the processors. Frames are decoded beside the models, which take the other
 * half. ffmpeg's own choice (a thread per processor) spent 1.6 times the CPU time on the same frames
 * on 2 cores (4.97 s against 3.08 s for a 180 s 640x360 H.264 clip) and ended later, even idle.
 */
const DECODE_THREADS = Math.max(1, Math.floor((os.availableParallelism?.() ?? os.cpus().length) / 2));

export async function openFrames(file: string, opts: DecodeFramesOptions): Promise<FrameStream> {
  const { width, height } = opts;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width <= 8192 && height <= 8192)) {
    throw new MediaError('BAD_ARGUMENT', `frame size must be whole pixels in 1..8192, got ${width}x${height}`);
  }
  if (opts.fps !== undefined && !(opts.fps > 0 && opts.fps <= 240)) throw new MediaError('BAD_ARGUMENT', `fps must be in (0, 240], got ${opts.fps}`);
  for (const [k, v] of [['startSec', opts.startSec], ['durationSec', opts.durationSec]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new MediaError('BAD_ARGUMENT', `${k} must be a number >= 0, got ${v}`);
  }
  const info = opts.info ?? (await probeMedia(file, { signal: opts.signal }));
  requireVideo(info);
  const v = info.video;
  const fps = opts.fps ?? v.fps;
  if (!(fps > 0)) throw new MediaError('UNSUPPORTED', `${path.basename(file)} has no usable frame rate; pass fps explicitly`, file);
  const geometry = frameGeometry(v.width * v.sampleAspect, v.height, width, height, opts.fit ?? 'letterbox');

  const args = ['-nostdin', '-v', 'error', '-threads', String(DECODE_THREADS)];
  if (opts.startSec) args.push('-ss', String(opts.startSec));
  args.push('-i', inputArg(file));
  if (opts.durationSec !== undefined) args.push('-t', String(opts.durationSec));
  // gbrp after the chain's rgb24 is a lossless reordering of the same pixels.
  const layout = opts.layout ?? 'rgb';
  const raw = ['-f', 'rawvideo', '-pix_fmt', PIX_FMT[layout], 'pipe:1'];
  const { copy } = opts;
  if (!copy) args.push('-map', '0:v:0', '-an', '-sn', '-dn', '-vf', geometryFilter(geometry, fps, layout), ...raw);
  else {
    const copyGeometry = frameGeometry(v.width * v.sampleAspect, v.height, copy.width, copy.height);
    const graph = `[0:v:0]split=2[a][b];[a]${geometryFilter(geometry, fps, layout)}[frames];[b]${geometryFilter(copyGeometry, copy.fps, 'gray')}[copy]`;
    args.push('-filter_complex', graph, '-map', '[frames]', ...raw);
    if (opts.durationSec !== undefined) args.push('-t', String(opts.durationSec));
    args.push('-map', '[copy]', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', String(Math.max(1, Math.round(copy.fps))), '-pix_fmt', 'yuvj420p', '-f', 'matroska', '-y', copy.file);
  }

  const frameBytes = width * height * (layout === 'gray' ? 1 : 3);
  const start = opts.startSec ?? 0;
  async function* frames(): AsyncGenerator<VideoFrame> {
    let index = 0;
    for await (const block of streamTool('ffmpeg', args, {
      blockBytes: frameBytes,
      signal: opts.signal,
      onFailure: (stderr) => {
        if (/partial file|moov atom not found/i.test(stderr)) return new MediaError('TRUNCATED', `${path.basename(file)} is cut short; copy or export it again`, file);
        return new MediaError('DECODE_FAILED', `ffmpeg could not decode the video of ${path.basename(file)}: ${lastLine(stderr) || 'unknown error'}`, file);
      },
    })) {
      if (block.length < frameBytes) break; // never hand out a partial frame
      yield { index, timeSec: start + index / fps, pixels: block };
      index++;
    }
  }
  return { info, fps, geometry, frames: frames() };
}
