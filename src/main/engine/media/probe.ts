import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { MediaError } from './errors';
import { inputArg, lastLine, runTool } from './process';
import { sniffFile } from './sniff';

export interface VideoInfo {
  /** Frame size as displayed: rotation applied (90/270 swap), sample aspect not applied. */
  width: number;
  height: number;
  /** Frame size as stored in the stream. */
  codedWidth: number;
  codedHeight: number;
  fps: number;
  codec: string;
  /** Clockwise rotation (0, 90, 180, 270) that players apply; ffmpeg decodes frames already rotated. */
  rotation: number;
  /** Pixel (sample) aspect ratio, 1 for square pixels. */
  sampleAspect: number;
  /** width * sampleAspect / height. */
  displayAspect: number;
}

export interface AudioInfo {
  sampleRate: number;
  channels: number;
  codec: string;
  channelLayout?: string;
  /** The audio stream's own duration where the container states one. */
  durationSec?: number;
}

export interface MediaInfo {
  path: string;
  sizeBytes: number;
  /** Seconds; the longest of container and stream durations that ffprobe reports. */
  durationSec: number;
  /** ffprobe format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm". */
  container: string;
  /** First video stream (cover art excluded), if any. */
  video?: VideoInfo;
  /** First audio stream, if any (decoding uses the same one). */
  audio?: AudioInfo;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

export interface ProbeJson {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; size?: string };
}

function ratio(s: string | undefined): number {
  if (!s) return NaN;
  const [a, b] = s.split(/[/:]/).map(Number);
  if (b === undefined) return a;
  return b ? a / b : NaN;
}

/** "00:01:02.500000000" (Matroska DURATION tag) -> seconds. */
function hms(s: string | undefined): number {
  if (!s) return NaN;
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(s.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

function streamDuration(s: ProbeStream): number {
  const d = Number(s.duration);
  if (Number.isFinite(d)) return d;
  return hms(s.tags?.DURATION ?? s.tags?.duration);
}

function rotationOf(s: ProbeStream): number {
  let r = 0;
  const side = s.side_data_list?.find((d) => typeof d.rotation === 'number');
  if (side?.rotation !== undefined) r = -side.rotation; // display matrix angle is counter-clockwise
  else if (s.tags?.rotate) r = Number(s.tags.rotate) || 0;
  r = ((Math.round(r / 90) * 90) % 360 + 360) % 360;
  return r;
}

/** Turn ffprobe's JSON into MediaInfo (pure; exported for tests). */
export function mediaInfoFromProbe(json: ProbeJson, filePath: string, sizeBytes: number): MediaInfo {
  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  const durations = [Number(json.format?.duration), ...streams.map(streamDuration)].filter((d) => Number.isFinite(d) && d > 0);
  const info: MediaInfo = {
    path: filePath,
    sizeBytes,
    durationSec: durations.length ? Math.max(...durations) : 0,
    container: json.format?.format_name ?? 'unknown',
  };
  if (v && v.width && v.height) {
    const rotation = rotationOf(v);
    const swap = rotation === 90 || rotation === 270;
    const width = swap ? v.height : v.width;
    const height = swap ? v.width : v.height;
    let sar = ratio(v.sample_aspect_ratio);
    if (!(sar > 0)) sar = 1;
    if (swap) sar = 1 / sar;
    let fps = ratio(v.avg_frame_rate);
    if (!(fps > 0 && fps < 1000)) fps = ratio(v.r_frame_rate);
    if (!(fps > 0 && fps < 1000)) fps = 0;
    info.video = {
      width,
      height,
      codedWidth: v.coded_width || v.width,
      codedHeight: v.coded_height || v.height,
      fps,
      codec: v.codec_name ?? 'unknown',
      rotation,
      sampleAspect: sar,
      displayAspect: (width * sar) / height,
    };
  }
  if (a) {
    info.audio = {
      sampleRate: Number(a.sample_rate) || 0,
      channels: a.channels ?? 0,
      codec: a.codec_name ?? 'unknown',
      ...(a.channel_layout ? { channelLayout: a.channel_layout } : {}),
      ...(streamDuration(a) > 0 ? { durationSec: streamDuration(a) } : {}),
    };
  }
  return info;
}

const HINT = 'choose a video or audio file such as .mp4, .mov, .mkv or .webm';

async function statOrThrow(file: string) {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new MediaError('NOT_A_FILE', `${file} is a folder, not a media file; ${HINT}`, file);
    await fsp.access(file, fsp.constants.R_OK);
    return st;
  } catch (err) {
    if (err instanceof MediaError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MediaError('NOT_FOUND', `${file} does not exist; check the path`, file);
    throw new MediaError('UNREADABLE', `cannot read ${file} (${code ?? String(err)}); check its permissions`, file);
  }
}

/** Explain why ffprobe could not open a file. */
async function explainFailure(file: string, stderr: string): Promise<MediaError> {
  const sniff = await sniffFile(file);
  const name = path.basename(file);
  if (sniff.container === 'mp4' && sniff.truncated) {
    return new MediaError('TRUNCATED', `${name} is an incomplete MP4/MOV file (cut off before its end); copy or export it again`, file);
  }
  if (sniff.container === 'text') {
    return new MediaError('NOT_MEDIA', `${name} is a text file, not a video or audio file; ${HINT}`, file);
  }
  if (sniff.container !== 'unknown') {
    return new MediaError('DAMAGED', `${name} looks like a ${sniff.container} file but ffmpeg cannot read it (damaged or incomplete: ${lastLine(stderr) || 'no detail'})`, file);
  }
  return new MediaError('NOT_MEDIA', `${name} is not a media file ffmpeg can read; ${HINT}`, file);
}

export async function probeMedia(file: string, opts: { signal?: AbortSignal } = {}): Promise<MediaInfo> {
  const st = await statOrThrow(file);
  if (st.size === 0) throw new MediaError('NOT_MEDIA', `${path.basename(file)} is empty (0 bytes); ${HINT}`, file);
  const r = await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', inputArg(file)], opts);
  let json: ProbeJson | null = null;
  if (r.code === 0) {
    try {
      json = JSON.parse(r.stdout.toString('utf8')) as ProbeJson;
    } catch {
      json = null;
    }
  }
  if (!json || !json.format) throw await explainFailure(file, r.stderr);
  const info = mediaInfoFromProbe(json, file, st.size);
  const name = path.basename(file);
  if (!info.video && !info.audio) {
    throw new MediaError('NOT_MEDIA', `${name} contains no audio or video streams; ${HINT}`, file);
  }
  const sniff = await sniffFile(file);
  if (sniff.truncated) {
    throw new MediaError('TRUNCATED', `${name} is cut short (the file ends before its data does); copy or export it again`, file);
  }
  for (const s of [info.video, info.audio]) {
    if (s && (s.codec === 'unknown' || s.codec === 'none')) {
      throw new MediaError('UNSUPPORTED', `${name} uses a codec this ffmpeg cannot decode; convert it to H.264/AAC first`, file);
    }
  }
  if (info.audio && !(info.audio.sampleRate > 0 && info.audio.channels > 0)) {
    throw new MediaError('UNSUPPORTED', `${name} has an audio track without a usable sample rate or channel count`, file);
  }
  return info;
}

/** Narrow to media with sound, or explain what to do. */
export function requireAudio(info: MediaInfo): asserts info is MediaInfo & { audio: AudioInfo } {
  if (!info.audio) {
    throw new MediaError('NO_AUDIO', `${path.basename(info.path)} has no audio track; Stemsight separates sounds, so choose a clip with sound`, info.path);
  }
}

export function requireVideo(info: MediaInfo): asserts info is MediaInfo & { video: VideoInfo } {
  if (!info.video) {
    throw new MediaError('NO_VIDEO', `${path.basename(info.path)} has no video track; choose a video so there is something to click on`, info.path);
  }
}
