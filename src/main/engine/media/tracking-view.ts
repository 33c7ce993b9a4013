import path from 'node:path';
import { ffmpegBuiltWith } from './binaries';
import { frameGeometry } from './geometry';
import type { MediaInfo } from './probe';

/**
 * The picture point trackers look at (separation/movement.ts): grey, the frame's shape, TRACK_HEIGHT
 * high, at the video's own rate up to MAX_FPS. The analysis writes a copy of it (the tracking copy)
 * from the same decode as its own frames, so following a click later reads a small grey video
 * instead of decoding the media again: on a 1280x720 H.264 clip 23 s of frames took 1.5 s from the
 * media and 0.1 s from the copy.
 */

/** Height of the picture the tracker looks at, pixels (the width follows the picture's shape). */
export const TRACK_HEIGHT = 180;
/** The most frames a second followed (a video's own rate up to this). */
const MAX_FPS = 30;
/** The tracking copy's name inside an analysis cache folder. */
export const TRACKING_COPY = 'tracking.mkv';

export interface TrackingView {
  width: number;
  height: number;
  fps: number;
  /** A point (0..1 of the original frame) as a pixel of this view. */
  at: (p: { x: number; y: number }) => { x: number; y: number };
}

export function trackingView(info: MediaInfo, what: string): TrackingView {
  const v = info.video;
  if (!v) throw new RangeError(`${what} needs a picture`);
  const aspect = (v.width * v.sampleAspect) / v.height;
  const width = Math.max(16, 2 * Math.round((TRACK_HEIGHT * aspect) / 2)), height = TRACK_HEIGHT;
  const g = frameGeometry(v.width * v.sampleAspect, v.height, width, height);
  return {
    width,
    height,
    fps: Math.min(MAX_FPS, v.fps > 0 ? v.fps : 25),
    at: (p) => ({ x: g.offsetX + p.x * g.scaledWidth, y: g.offsetY + p.y * g.scaledHeight }),
  };
}

/**
 * Where the analysis writes the tracking copy of this media in folder `dir`, at which size and
 * rate; null without a picture, or when the ffmpeg in use cannot write it (it needs libx264, whose
 * lossless mode keeps every grey value, so a tracker reads the same pixels as from the media).
 */
export function trackingCopyTarget(info: MediaInfo, dir: string): { file: string; width: number; height: number; fps: number } | null {
  if (!info.video || !ffmpegBuiltWith('libx264')) return null;
  const { width, height, fps } = trackingView(info, 'a tracking copy');
  return { file: path.join(dir, TRACKING_COPY), width, height, fps };
}

/** Where a tracker reads the picture of `file`: its tracking copy when there is one (`copy`), otherwise the media. */
export function trackingSource(file: string, info: MediaInfo, copy: string | null | undefined): { file: string; info: MediaInfo } {
  return copy ? { file: copy, info: trackingCopyInfo(info) } : { file, info };
}

/** How to read the tracking copy of media `info`: the same view, already at its size and rate, upright. */
function trackingCopyInfo(info: MediaInfo): MediaInfo {
  const v = info.video;
  if (!v) throw new RangeError('a tracking copy needs a picture');
  const { width, height, fps } = trackingView(info, 'a tracking copy');
  return { ...info, video: { ...v, width, height, codedWidth: width, codedHeight: height, fps, rotation: 0, sampleAspect: 1, displayAspect: width / height, codec: 'h264' } };
}
