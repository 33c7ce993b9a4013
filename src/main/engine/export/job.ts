import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ExportTargetId } from '../../../shared/export-targets';
import { EXPORT_TARGETS } from '../../../shared/export-targets';
import { AppError, Cancelled, isAppError } from '../../../shared/errors';
import { defineJob, type JobContext } from '../jobs/define';
import { probeMedia } from '../media/probe';
import { createWavWriter, type WavFormat, type WavWriter } from '../media/wav';
import { isMediaError } from '../media/errors';
import { writeFileAtomic, tempPathFor } from '../fs/atomic';
import { isInside } from '../fs/paths';
import { publishStaged } from '../fs/publish';
import { addPanned, channelGain } from './mix';
import { BlockReader } from './reader';
import { exportFileNames, type ExportFileSpec } from './naming';
import { TARGET_WRITERS, type TargetContext } from './targets';

/**
 * Job kind 'export': one pass streams every stem once and writes the audio the chosen targets
 * need (the stems, equal length from 0 s at the chosen rate and format; the stereo mix of the
 * mixer's settings); then each target writes its files (targets.ts). Everything is written into a
 * hidden staging folder beside the target ('.<name>.<pid>.<random>.partial') and published only
 * when complete, so a cancelled, failed or killed export never leaves files that look like a
 * finished export. Each export lists its files in EXPORT_MANIFEST; replacing an export removes
 * exactly those files and leaves anything else the user keeps in that folder alone (see
 * publishStaged).
 */

import type { ExportJobParams, ExportJobResult, ExportRange, FrameSpan } from './params';

export type { ExportJobParams, ExportJobResult, ExportRange, ExportStem } from './params';

const BLOCK = 65536;

/** Hidden file in an export folder naming the files that export wrote. */
export const EXPORT_MANIFEST = '.stemsight-export.json';

/** The real parent folder of the export, checked against the roots now, not when main planned it. */
async function checkedParent(p: ExportJobParams): Promise<string> {
  const parent = path.dirname(p.folder);
  let real: string;
  try {
    real = await fsp.realpath(parent);
  } catch {
    throw new AppError('not_found', `The folder ${parent} no longer exists; choose another folder.`);
  }
  if (p.roots && !p.roots.some((r) => isInside(real, r))) {
    throw new AppError('forbidden', `${parent} now leads outside the folders Stemsight may write to (through a link); choose another folder.`);
  }
  return real;
}

/** Move a complete staged export into place, replacing exactly the files of an earlier export. */
async function publish(p: ExportJobParams, staging: string, written: ExportJobResult): Promise<string> {
  const { files } = written;
  const target = path.join(await checkedParent(p), path.basename(p.folder));
  const existing = await fsp.lstat(target).catch(() => null);
  if (existing && (existing.isSymbolicLink() || !existing.isDirectory())) {
    throw new AppError('bad_request', `Something other than a folder is now at ${target}; export again and choose "new".`);
  }
  if (existing && !p.replace) throw new AppError('bad_request', `A folder ${target} appeared while exporting; export again and choose "replace" or "new".`);
  const previous = existing
    ? await fsp
        .readFile(path.join(target, EXPORT_MANIFEST), 'utf8')
        .then((t) => (JSON.parse(t) as { files?: unknown }).files)
        .catch(() => [])
    : [];
  await publishStaged({
    staging,
    target,
    files,
    marker: { name: EXPORT_MANIFEST, content: JSON.stringify(manifestOf(written), null, 2) },
    previous: Array.isArray(previous) ? previous : [],
  });
  return target;
}

/**
 * What EXPORT_MANIFEST says: the files (exactly what replacing this export removes), what each
 * one holds (by target: the stems, the Original, the mix...), and the audio's rate and length.
 */
function manifestOf(r: ExportJobResult) {
  return { files: r.files, contents: r.contents, sampleRate: r.sampleRate, frames: r.frames, range: r.range };
}

/**
 * The frames an export writes, at its rate: all `total`, or those of the range, rounded to the
 * nearest frame. Every file is cut at the same frames of the same decoded stream, so a region is
 * exactly those samples of the whole export: the stems still add up to the Original.
 */
export function frameSpan(range: ExportRange | null, rate: number, total: number): FrameSpan {
  if (!range) return { startFrame: 0, endFrame: total };
  const startFrame = Math.min(total, Math.max(0, Math.round(range.startSec * rate)));
  const endFrame = Math.min(total, Math.round(range.endSec * rate));
  if (!(endFrame > startFrame)) throw new AppError('bad_request', `The selection (${range.startSec} s to ${range.endSec} s) holds no audio of the stems; select a range inside the media.`);
  return { startFrame, endFrame };
}

export async function runExport(p: ExportJobParams, ctx: Pick<JobContext, 'signal' | 'progress'>): Promise<ExportJobResult> {
  const parent = await checkedParent(p);
  const staging = tempPathFor(path.join(parent, path.basename(p.folder)));
  await fsp.mkdir(staging);
  try {
    const written = await writeExport({ ...p, folder: staging }, ctx);
    if (ctx.signal.aborted) throw new Cancelled();
    const folder = await publish(p, staging, written);
    ctx.progress('done', 1);
    return { ...written, folder };
  } catch (err) {
    await fsp.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

const label = (id: ExportTargetId) => EXPORT_TARGETS.find((t) => t.id === id)?.label ?? id;

/**
 * The names of the export's files, all by the naming template (naming.ts): each stem at its own
 * index, a target's own file at the index it asks for (the Original: 0), else numbered on after
 * the stems in the order they are written (mix, video, REAPER project).
 */
function nameFiles(p: ExportJobParams, chosen: ExportTargetId[]): { stemFiles: string[]; fileNames: Partial<Record<ExportTargetId, string>> } {
  const specs: ExportFileSpec[] = p.stems.map((s) => ({ index: s.index, stem: s.name, ext: '.wav' }));
  const owners: ExportTargetId[] = [];
  let next = Math.max(0, ...p.stems.map((s) => s.index)) + 1;
  for (const id of chosen) {
    const file = TARGET_WRITERS[id].file;
    if (!file) continue;
    owners.push(id);
    specs.push({ index: file.index ?? next++, stem: file.stem, ext: file.ext(p) });
  }
  const names = exportFileNames(p.namingTemplate, p.projectName, specs);
  const fileNames: Partial<Record<ExportTargetId, string>> = {};
  owners.forEach((id, k) => (fileNames[id] = names[p.stems.length + k]));
  return { stemFiles: names.slice(0, p.stems.length), fileNames };
}

/** Write every file of the export into p.folder (the staging folder). */
async function writeExport(p: ExportJobParams, ctx: Pick<JobContext, 'signal' | 'progress'>): Promise<ExportJobResult> {
  if (p.stems.length === 0) throw new AppError('bad_request', 'There are no stems to export; separate some sources first.');
  const chosen = (Object.keys(TARGET_WRITERS) as ExportTargetId[]).filter((id) => p.targets.includes(id));
  for (const id of chosen) {
    const needs = TARGET_WRITERS[id].requires;
    if (needs && !chosen.includes(needs)) throw new AppError('bad_request', `The ${label(id)} needs the ${label(needs).toLowerCase()}: tick "${label(needs)}" as well.`);
  }
  const writeStems = chosen.some((id) => TARGET_WRITERS[id].stems);
  const writeOriginal = chosen.some((id) => TARGET_WRITERS[id].original);
  const mixUse = chosen.map((id) => TARGET_WRITERS[id].mix);
  const keepMix = mixUse.includes('keep');
  const wantMixFile = keepMix || mixUse.includes('use');

  const infos = await Promise.all(p.stems.map((s) => probeMedia(s.path, { signal: ctx.signal })));
  const srcRate = infos[0].audio?.sampleRate ?? 48000;
  const rate = p.sampleRate ?? srcRate;
  // Equal length for all: the longest stem, at the output rate (stems of one separation are equal).
  const span = frameSpan(p.range ?? null, rate, Math.max(...infos.map((i) => Math.round(i.durationSec * rate))));
  const frames = span.endFrame - span.startFrame;
  await fsp.mkdir(p.folder, { recursive: true });
  const { stemFiles, fileNames } = nameFiles(p, chosen);
  const mixPath = path.join(p.folder, keepMix ? fileNames.mix! : `.mix-${Date.now()}.wav`);

  const readers = p.stems.map((s, i) => new BlockReader(s.path, Math.max(1, infos[i].audio?.channels ?? 2), rate, 0, ctx.signal));
  // The Original, decoded like the stems were made from it (their channels, this rate), so the
  // stems still add up to it sample by sample.
  const originalReader = writeOriginal ? new BlockReader(p.media, readers[0].channels, rate, 0, ctx.signal) : null;
  const writers: (WavWriter | null)[] = [];
  let mixWriter: WavWriter | null = null;
  let originalWriter: WavWriter | null = null;
  try {
    for (let i = 0; i < p.stems.length; i++) {
      writers.push(writeStems ? await createWavWriter(path.join(p.folder, stemFiles[i]), { sampleRate: rate, channels: readers[i].channels, format: p.format }) : null);
    }
    if (wantMixFile) mixWriter = await createWavWriter(mixPath, { sampleRate: rate, channels: 2, format: p.format });
    for (const r of [...readers, originalReader]) await r?.skip(span.startFrame);
    if (originalReader) originalWriter = await createWavWriter(path.join(p.folder, fileNames.original!), { sampleRate: rate, channels: originalReader.channels, format: p.format });
    const gains = p.stems.map((s) => channelGain(s, p.stems));
    if (writeStems || wantMixFile || originalReader) {
      for (let done = 0; done < frames; done += BLOCK) {
        if (ctx.signal.aborted) throw new Cancelled();
        const n = Math.min(BLOCK, frames - done);
        const mixL = new Float32Array(n);
        const mixR = new Float32Array(n);
        for (let i = 0; i < readers.length; i++) {
          const block = await readers[i].read(n);
          await writers[i]?.write(block);
          if (gains[i] > 0) addPanned(mixL, mixR, block, gains[i], p.stems[i].pan);
        }
        await mixWriter?.write([mixL, mixR]);
        if (originalReader) await originalWriter?.write(await originalReader.read(n));
        ctx.progress('writing audio', (0.85 * (done + n)) / frames);
      }
    }
    for (const w of [...writers, mixWriter, originalWriter]) await w?.close();
  } catch (err) {
    for (const w of [...writers, mixWriter, originalWriter]) await w?.abort().catch(() => undefined);
    throw err;
  } finally {
    for (const r of [...readers, originalReader]) await r?.close().catch(() => undefined);
  }

  const contents: ExportJobResult['contents'] = {};
  const t: TargetContext = { p, ctx, rate, frames, span, stemFiles, fileNames, mixPath };
  try {
    for (const id of chosen) contents[id] = await TARGET_WRITERS[id].write(t);
  } finally {
    if (!keepMix && wantMixFile) await fsp.rm(mixPath, { force: true });
  }
  const range = p.range ? { ...p.range, ...span } : null;
  return { folder: p.folder, files: Object.values(contents).flat(), contents, sampleRate: rate, frames, range };
}

export default defineJob<ExportJobParams, ExportJobResult>(async (p, ctx) => {
  try {
    return await runExport(p, ctx);
  } catch (err) {
    // Say which part of the export failed, in the export's terms; a full disk is said by the job runner.
    if (isMediaError(err)) throw new AppError('media_error', `A stem could not be read (${err.message}); separate again and retry.`, err.detail);
    if (isAppError(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'EACCES' || e?.code === 'EPERM') throw new AppError('io_error', `Stemsight may not write to ${p.folder}; choose another folder.`, e.message);
    throw err;
  }
});
