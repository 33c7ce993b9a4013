import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ExportTargetId } from '../../../shared/export-targets';
import { writeFileAtomic, tempPathFor } from '../fs/atomic';
import { AppError } from '../../../shared/errors';
import type { JobContext } from '../jobs/define';
import { inputArg, lastLine, runTool } from '../media/process';
import { probeMedia } from '../media/probe';
import { writeRpp, type RppTrack } from './rpp';
import type { ExportJobParams, FrameSpan } from './params';

/**
 * How each export target is written. The audio pass of the job streams every stem once and writes
 * what the chosen targets ask for (the stem files, the stereo mix); then each target's `write`
 * runs in this order and names the files it added. The list of targets the user sees, and their
 * settings, are in src/shared/export-targets.ts.
 */

/** What a target's writer gets: the job, and what the audio pass wrote. */
export interface TargetContext {
  p: ExportJobParams;
  ctx: Pick<JobContext, 'signal' | 'progress'>;
  rate: number;
  /** Frames of every audio file, and which frames of the media they are (a region, or all). */
  frames: number;
  span: FrameSpan;
  /** File names of the stems in the folder (when the pass wrote them). */
  stemFiles: string[];
  /** The name of each chosen target's own file (TargetWriter.file), by the naming template. */
  fileNames: Partial<Record<ExportTargetId, string>>;
  /** The stereo mix (in the folder when the mix target is chosen, else a temporary file). */
  mixPath: string;
}

export interface TargetWriter {
  /** Audio the pass must write: the stem files, the Original, and the mix ('keep': in the folder; 'use': as an input only). */
  stems?: true;
  original?: true;
  mix?: 'keep' | 'use';
  /** A target whose files this one refers to, which must be chosen too. */
  requires?: ExportTargetId;
  /**
   * The one file this target adds besides the stems: what it holds (the template's {stem}) and its
   * extension. Named like the stems (naming.ts), at `index` when given, else numbered on after them.
   */
  file?: { stem: string; ext(p: ExportJobParams): string; index?: number };
  write(t: TargetContext): Promise<string[]>;
}

export const TARGET_WRITERS: Record<ExportTargetId, TargetWriter> = {
  stems: { stems: true, write: async (t) => t.stemFiles },
  original: { original: true, file: { stem: 'original', ext: () => '.wav', index: 0 }, write: async (t) => [t.fileNames.original!] },
  mix: { mix: 'keep', file: { stem: 'mix', ext: () => '.wav' }, write: async (t) => [path.basename(t.mixPath)] },
  video: { mix: 'use', file: { stem: 'video', ext: (p) => videoExtension(p.media) }, write: writeVideo },
  daw: { requires: 'stems', file: { stem: 'project', ext: () => '.rpp' }, write: writeDaw },
};

/** The video copy keeps the media's container when it is one of these, else it is Matroska. */
function videoExtension(media: string): string {
  const ext = path.extname(media).toLowerCase();
  return ext === '.mp4' || ext === '.mov' || ext === '.m4v' ? ext : '.mkv';
}

async function writeVideo({ p, ctx, mixPath, fileNames, rate, frames, span }: TargetContext): Promise<string[]> {
  ctx.progress('writing video', 0.9);
  const outExt = videoExtension(p.media);
  const videoName = fileNames.video!;
  const target = path.join(p.folder, videoName);
  const tmp = tempPathFor(target) + outExt; // ffmpeg picks the container from the extension
  // The whole picture is copied as it is. A region starts on any frame, where a copy could only
  // start on a keyframe (the picture would lead the sound), so its picture is encoded again.
  const region = p.range != null;
  const picture = region
    ? { input: ['-ss', String(span.startFrame / rate), '-t', String(frames / rate)], codec: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p'] }
    : { input: [], codec: ['-c:v', 'copy'] };
  const r = await runTool(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', ...picture.input, '-i', inputArg(p.media), '-i', inputArg(mixPath), '-map', '0:v:0', '-map', '1:a:0', ...picture.codec, '-c:a', 'aac', '-b:a', '256k', '-shortest', ...(outExt === '.mkv' ? [] : ['-movflags', '+faststart']), tmp],
    { signal: ctx.signal },
  );
  if (r.code !== 0) {
    await fsp.rm(tmp, { force: true });
    throw new AppError('media_error', `Could not write the video copy (${lastLine(r.stderr) || 'ffmpeg failed'}); the audio files were exported.`);
  }
  await fsp.rename(tmp, target);
  return [videoName];
}

async function writeDaw(t: TargetContext): Promise<string[]> {
  const { p, rate, frames, stemFiles, fileNames } = t;
  const rppName = fileNames.daw!;
  const lengthSec = frames / rate;
  const tracks: RppTrack[] = p.stems.map((s, i) => ({ name: s.name, file: stemFiles[i], lengthSec, gainDb: s.gainDb, pan: s.pan, mute: s.mute, solo: s.solo, colour: s.colour }));
  // The Original on top, muted: there to compare with (solo it), never doubled into the mix.
  if (fileNames.original) tracks.unshift({ name: 'Original', file: fileNames.original, lengthSec, gainDb: 0, pan: 0, mute: true, solo: false });
  const video = await videoItem(t, lengthSec);
  if (video) tracks.unshift(video);
  await writeFileAtomic(path.join(p.folder, rppName), writeRpp({ sampleRate: rate, tracks }));
  return [rppName];
}

/**
 * The picture for the .rpp, on the top track (REAPER shows the topmost video) from 0 s: the
 * exported video copy when there is one (inside the folder, so it moves with it), else the media
 * itself by its full path (it opens with the picture on this computer; elsewhere REAPER reports it
 * missing and offers to find it, and the stems still open). Its track is silent: the sound is the
 * stems'. None for audio-only media. In a region export the picture starts where the region does.
 */
async function videoItem({ p, ctx, fileNames, rate, span }: TargetContext, lengthSec: number): Promise<RppTrack | null> {
  const silent = { name: 'Video', lengthSec, gainDb: -Infinity, pan: 0, mute: false, solo: false, source: 'VIDEO' as const };
  // The video copy of a region starts where the region does; the media, at 0 s.
  if (fileNames.video) return { ...silent, file: fileNames.video };
  const info = await probeMedia(p.media, { signal: ctx.signal });
  return info.video ? { ...silent, file: path.resolve(p.media), offsetSec: span.startFrame / rate } : null;
}
