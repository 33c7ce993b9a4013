import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { AppError } from '../../../shared/errors';
import { DEFAULT_STRENGTH, enhancerAmount } from '../../../shared/stem-edit';
import { defineJob } from '../jobs/define';
import type { FullRateGrid } from '../separation/fullrate';
import type { Manifest } from '../separation/job';
import { cleanSpeech, type DialogueSource } from '../separation/dialogue';
import { readWav, WavRangeReader } from '../media/wav';
import { applyStemEdits, type EditedMove, type EditSource, type StemEditResult } from './apply';

/**
 * Job kind 'stem-edit': applies the sources' strengths and moved ranges to the stems of one
 * separation (see apply.ts) and writes the changed stems and the residual into outDir. A speaker's
 * strength also sets the speech enhancer's amount: its stem as separated is cleaned again here,
 * so a new strength never needs the separation to run again.
 */

export interface StemEditJobParams {
  sources: EditSource[];
  residual: string;
  /** Stems of sources that are gone: added to the residual (see apply.ts). */
  fold?: string[];
  startSec: number;
  order: [number, EditedMove][];
  outDir: string;
}

/** What a stem edit needs from the separation these stems came from: its manifest beside them. */
async function separationFacts(residual: string, rate: number): Promise<{ grid: FullRateGrid; dialogue: DialogueSource[] }> {
  try {
    const m = JSON.parse(await fsp.readFile(path.join(path.dirname(residual), 'manifest.json'), 'utf8')) as Manifest;
    const g = m.parameters.fullRateStft;
    // Separations from before the enhancer followed strength list speakers without a stem as separated.
    const dialogue = (m.parameters.dialogue ?? []).filter((d) => typeof d.amount === 'number' && typeof d.separated === 'string');
    if (g && g.hop > 0 && g.nFft > 0) return { grid: { rate, hop: g.hop, win: g.window, nFft: g.nFft, bins: g.nFft / 2 + 1 }, dialogue };
  } catch {
    // reported below
  }
  throw new AppError('media_error', 'The separation these stems came from has no readable manifest; separate the sources again.');
}

/**
 * Per source, its speaker's stem as separated cleaned at its strength's amount, where that amount
 * is not the one its raw stem was cleaned with; null for every other source.
 */
async function recleanedSpeakers(sources: EditSource[], residual: string, dialogue: DialogueSource[], onSpeaker: () => void): Promise<(Float32Array[] | null)[]> {
  const dir = path.dirname(residual);
  const out: (Float32Array[] | null)[] = [];
  // One speaker at a time: each holds its whole stem in memory while it is cleaned.
  for (const s of sources) {
    const d = path.dirname(s.file) === dir ? dialogue.find((x) => `source-${x.index}.wav` === path.basename(s.file)) : undefined;
    const amount = enhancerAmount(s.strength);
    if (!d?.separated || amount === d.amount) {
      out.push(null);
      continue;
    }
    onSpeaker();
    const separated = await readWav(path.join(dir, d.separated)).catch(() => {
      throw new AppError('not_found', "A speaker's stem as separated is missing; separate the sources again.");
    });
    out.push(await cleanSpeech(separated.channels, separated.sampleRate, amount));
  }
  return out;
}

export default defineJob<StemEditJobParams, StemEditResult>(async (p, ctx) => {
  const probe = await WavRangeReader.open(p.residual).catch(() => {
    throw new AppError('not_found', 'The separated stems are missing; separate the sources again.');
  });
  const sampleRate = probe.layout.sampleRate;
  await probe.close();
  // Only a strength re-masks or cleans again; without one (moved ranges, a removed source folded
  // into the residual) the stems need not come from a separation's own folder.
  const facts = p.sources.some((s) => s.strength !== DEFAULT_STRENGTH) ? await separationFacts(p.residual, sampleRate) : null;
  const startFrom = facts
    ? await recleanedSpeakers(p.sources, p.residual, facts.dialogue, () => {
        ctx.throwIfCancelled();
        ctx.progress('cleaning dialogue', 0);
      })
    : undefined;
  return applyStemEdits({
    sources: p.sources,
    startFrom,
    residual: p.residual,
    fold: p.fold,
    startSec: p.startSec,
    order: p.order,
    grid: facts?.grid,
    outDir: p.outDir,
    onProgress: (f) => {
      ctx.throwIfCancelled();
      ctx.progress('editing', f);
    },
  });
});
