import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ExportTargetId } from '../../../shared/export-targets';
import { writeFileAtomic, tempPathFor } from '../fs/atomic';
import { JobError, type JobContext } from '../jobs/define';
import { inputArg, lastLine, runTool } from '../media/process';
import { safeName } from './naming';
import { writeRpp } from './rpp';
import type { ExportJobParams } from './params';

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
  frames: number;
  /** File names of the stems in the folder (when the pass wrote them). */
  stemFiles: string[];
  /** The stereo mix (in the folder when the mix target is chosen, else a temporary file). */
  mixPath: string;
}

export interface TargetWriter {
  /** Audio the pass must write: the stem files, and the mix ('keep': in the folder; 'use': as an input only). */
  stems?: true;
  mix?: 'keep' | 'use';
  /** A target whose files this one refers to, which must be chosen too. */
  requires?: ExportTargetId;
  write(t: TargetContext): Promise<string[]>;
}

export const TARGET_WRITERS: Record<ExportTargetId, TargetWriter> = {
  stems: { stems: true, write: async (t) => t.stemFiles },
  mix: { mix: 'keep', write: async (t) => [path.basename(t.mixPath)] },
  video: { mix: 'use', write: writeVideo },
  daw: { requires: 'stems', write: writeDaw },
};

async function writeVideo({ p, ctx, mixPath }: TargetContext): Promise<string[]> {
  ctx.progress('writing video', 0.9);
  const ext = path.extname(p.media).toLowerCase();
  const outExt = ext === '.mp4' || ext === '.mov' || ext === '.m4v' ? ext : '.mkv';
  const videoName = `${safeName(p.projectName)} remix${outExt}`;
  const target = path.join(p.folder, videoName);
  const tmp = tempPathFor(target) + outExt; // ffmpeg picks the container from the extension
  const r = await runTool(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-i', inputArg(p.media), '-i', inputArg(mixPath), '-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '256k', '-shortest', ...(outExt === '.mkv' ? [] : ['-movflags', '+faststart']), tmp],
    { signal: ctx.signal },
  );
  if (r.code !== 0) {
    await fsp.rm(tmp, { force: true });
    throw new JobError(`Could not write the video copy (${lastLine(r.stderr) || 'ffmpeg failed'}); the audio files were exported.`);
  }
  await fsp.rename(tmp, target);
  return [videoName];
}

async function writeDaw({ p, rate, frames, stemFiles }: TargetContext): Promise<string[]> {
  const rppName = `${safeName(p.projectName)}.rpp`;
  const tracks = p.stems.map((s, i) => ({ name: s.name, file: stemFiles[i], lengthSec: frames / rate, gainDb: s.gainDb, pan: s.pan, mute: s.mute, solo: s.solo, colour: s.colour }));
  await writeFileAtomic(path.join(p.folder, rppName), writeRpp({ sampleRate: rate, tracks }));
  return [rppName];
}
