import type { ModelCard } from '../models/card';
import { motionStage } from './motion';
import type { AnalysisExtension, RefineStage, StageEntry, WindowContext } from './types';

export { activityAt } from './activity';
export type { AnalysisBatch, AnalysisExtension, FollowedActivity, RefineStage, SourceInput, StageEntry, WindowContext } from './types';

/**
 * The registry of model stages (see types.ts). 'appearance' is the base every card has; a card may
 * declare stages this version does not know: they are skipped, reported in the manifest, and the
 * masks of the known stages are used, so newer models still work here.
 */
export const STAGES: Record<string, StageEntry> = {
  motion: motionStage,
};

/** The analysis parts of the card's stages whose sessions the runtime has loaded. */
export function analysisExtensions(card: ModelCard, available: (session: string) => boolean): AnalysisExtension[] {
  const out: AnalysisExtension[] = [];
  for (const stage of card.stages) {
    const make = STAGES[stage]?.analysis;
    if (!make) continue;
    const ext = make(card);
    if (ext.sessions.every((s) => card.sessions[s] && available(s))) out.push(ext);
  }
  return out;
}

/** The mask pipeline of one model window, as the card declares it. `only`: restrict to these stages (comparisons). */
export interface StagePlan {
  used: string[];
  skipped: { stage: string; reason: string }[];
  refiners: RefineStage[];
}

/** anyPoint: some source has a point in the picture (stages that follow points have nothing to do otherwise). */
export function planStages(card: ModelCard, available: (session: string) => boolean = () => true, only?: string[], anyPoint = true): StagePlan {
  const plan: StagePlan = { used: ['appearance'], skipped: [], refiners: [] };
  for (const stage of card.stages) {
    if (stage === 'appearance') continue;
    if (only && !only.includes(stage)) {
      plan.skipped.push({ stage, reason: 'not asked for' });
      continue;
    }
    const make = STAGES[stage]?.separation;
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
    if (r.pointsOnly && !anyPoint) {
      plan.skipped.push({ stage, reason: 'no source has a point in the picture to follow' });
      continue;
    }
    plan.used.push(stage);
    plan.refiners.push(r);
  }
  return plan;
}

export interface WindowMasks {
  /** (N, bins, frames) masks, frequency-major per source. */
  masks: Float32Array;
  /**
   * The appearance stage's masks of the same sources where a refinement stage made new ones and
   * two or more sources share the window (the movement share reads both); null otherwise.
   */
  appearance: Float32Array | null;
}

/** Masks of one window: appearance, then each refinement stage in the card's order. */
export async function windowMasks(plan: StagePlan, ctx: WindowContext): Promise<WindowMasks> {
  const k = ctx.card.video.features;
  const n = ctx.sources.length;
  const feats = new Float32Array(n * k);
  ctx.sources.forEach((s, i) => feats.set(s.features, i * k));
  // Appearance masks are needed unless a stage remakes every source's mask and there is a single source.
  const replaced = plan.refiners.some((r) => r.replacesAppearance && (!r.pointsOnly || ctx.sources.every((s) => s.cell !== null)));
  const appearance = replaced && n < 2 ? null : await ctx.runtime.masks(ctx.audio, feats, n);
  let masks = appearance;
  for (const r of plan.refiners) masks = await r.refine(masks, ctx);
  return { masks: masks!, appearance: n >= 2 && masks !== appearance ? appearance : null };
}
