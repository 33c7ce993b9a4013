import type { ModelCard } from '../models/card';
import type { AudioFeatures, ModelRuntime } from '../models/runtime';
import type { AnalysisCache } from '../analysis/cache';
import { motionRefiner } from './motion';

/**
 * The mask pipeline of one model window, as the card declares it. 'appearance' (Models I) makes
 * the first masks from the audio features and each source's visual features. Later stages refine
 * them jointly; Models II's 'motion' stage plugs in with two entries: its per-frame motion
 * features in analysis/extensions.ts ANALYSIS_EXTENSIONS (computed and cached in the analysis pass),
 * and its joint refinement (audio-motion transformer, opponent filter) in REFINERS here, reading
 * those features from ctx.cache. The engine then uses it whenever a card declares it. A card may declare stages this version does not
 * know: they are skipped, reported in the manifest, and the appearance masks are used, so newer
 * models still work here.
 */

export interface SourceInput {
  /** Visual feature vector (K) at the click. */
  features: Float32Array;
  /** Feature cell and analysed frame of the click. */
  row: number;
  col: number;
  frame: number;
}

export interface WindowContext {
  runtime: ModelRuntime;
  card: ModelCard;
  cache: AnalysisCache;
  /** Window start at the model rate, samples; the window is card.audio.windowSamples long. */
  start: number;
  audio: AudioFeatures;
  sources: SourceInput[];
}

export interface RefineStage {
  name: string;
  /** Sessions the stage needs (from card.sessions). */
  sessions: string[];
  /** The stage makes the masks from scratch (its session includes the appearance stage). */
  replacesAppearance?: boolean;
  /** masks (N, bins, frames), or null when replacesAppearance -> masks of the same shape, all sources jointly. */
  refine(masks: Float32Array | null, ctx: WindowContext): Promise<Float32Array>;
}

export const REFINERS: Record<string, (card: ModelCard) => RefineStage> = { motion: motionRefiner };

/** `only`: restrict to these stages (comparisons such as appearance-only vs two-stage). */
export interface StagePlan {
  used: string[];
  skipped: { stage: string; reason: string }[];
  refiners: RefineStage[];
}

export function planStages(card: ModelCard, available: (session: string) => boolean = () => true, only?: string[]): StagePlan {
  const plan: StagePlan = { used: ['appearance'], skipped: [], refiners: [] };
  for (const stage of card.stages) {
    if (stage === 'appearance') continue;
    if (only && !only.includes(stage)) {
      plan.skipped.push({ stage, reason: 'not asked for' });
      continue;
    }
    const make = REFINERS[stage];
    if (!make) {
      plan.skipped.push({ stage, reason: `this version of Stemsight cannot run the '${stage}' stage yet` });
      continue;
    }
    const r = make(card);
    const missing = r.sessions.filter((s) => !card.sessions[s] || !available(s));
    if (missing.length) {
      plan.skipped.push({ stage, reason: `the model lacks the session(s) ${missing.join(', ')}` });
      continue;
    }
    plan.used.push(stage);
    plan.refiners.push(r);
  }
  return plan;
}

/** Masks of one window: appearance, then each refinement stage in the card's order. */
export async function windowMasks(plan: StagePlan, ctx: WindowContext): Promise<Float32Array> {
  const k = ctx.card.video.features;
  const n = ctx.sources.length;
  const feats = new Float32Array(n * k);
  ctx.sources.forEach((s, i) => feats.set(s.features, i * k));
  const replaced = plan.refiners.some((r) => r.replacesAppearance);
  let masks: Float32Array | null = replaced ? null : await ctx.runtime.masks(ctx.audio, feats, n);
  for (const r of plan.refiners) masks = await r.refine(masks, ctx);
  return masks!;
}
