import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { AppError } from '../../../shared/errors';
import { defineJob } from '../jobs/define';
import type { FullRateGrid } from '../separation/fullrate';
import type { Manifest } from '../separation/job';
import { WavRangeReader } from '../media/wav';
import { applyStemEdits, type EditedMove, type EditSource, type StemEditResult } from './apply';

/**
 * Job kind 'stem-edit': applies the sources' strengths and moved ranges to the stems of one
 * separation (see apply.ts) and writes the changed stems and the residual into outDir.
 */

export interface StemEditJobParams {
  sources: EditSource[];
  residual: string;
  startSec: number;
  order: [number, EditedMove][];
  outDir: string;
}

/** The full-rate STFT grid the separation used, from the manifest beside its stems. */
async function separationGrid(residual: string, rate: number): Promise<FullRateGrid> {
  try {
    const m = JSON.parse(await fsp.readFile(path.join(path.dirname(residual), 'manifest.json'), 'utf8')) as Manifest;
    const g = m.parameters.fullRateStft;
    if (g && g.hop > 0 && g.nFft > 0) return { rate, hop: g.hop, win: g.window, nFft: g.nFft, bins: g.nFft / 2 + 1 };
  } catch {
    // reported below
  }
  throw new AppError('media_error', 'The separation these stems came from has no readable manifest; separate the sources again.');
}

export default defineJob<StemEditJobParams, StemEditResult>(async (p, ctx) => {
  const probe = await WavRangeReader.open(p.residual).catch(() => {
    throw new AppError('not_found', 'The separated stems are missing; separate the sources again.');
  });
  const sampleRate = probe.layout.sampleRate;
  await probe.close();
  return applyStemEdits({
      sources: p.sources,
      residual: p.residual,
      startSec: p.startSec,
      order: p.order,
      grid: await separationGrid(p.residual, sampleRate),
      outDir: p.outDir,
      onProgress: (f) => {
        ctx.throwIfCancelled();
        ctx.progress('editing', f);
      },
  });
});
