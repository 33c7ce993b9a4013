import { afterEach, describe, expect, it } from 'vitest';
import { planStages, REFINERS, windowMasks, type WindowContext } from '../../../src/main/engine/separation/stages';
import { analysisExtensions, ANALYSIS_EXTENSIONS } from '../../../src/main/engine/analysis/extensions';
import type { ModelCard } from '../../../src/main/engine/models/card';

/** The seam Models II's motion stage plugs into: declared in the card -> used; unknown -> skipped. */

const card = (stages: string[], sessions: string[]) =>
  ({ stages, sessions: Object.fromEntries(sessions.map((s) => [s, { file: `${s}.onnx` }])), video: { features: 2 } }) as unknown as ModelCard;

afterEach(() => {
  delete REFINERS.motion;
  delete ANALYSIS_EXTENSIONS.motion;
});

describe('stage pipeline', () => {
  it('appearance-only card: masks straight from the masks session', async () => {
    const plan = planStages(card(['appearance'], ['visual', 'audio', 'masks', 'localization']));
    expect(plan).toMatchObject({ used: ['appearance'], skipped: [] });
  });

  it('a declared stage with no implementation is skipped and reported, appearance still runs', () => {
    const plan = planStages(card(['appearance', 'motion'], ['masks', 'motion']));
    expect(plan.used).toEqual(['appearance']);
    expect(plan.skipped).toEqual([{ stage: 'motion', reason: expect.stringMatching(/cannot run the 'motion' stage/) }]);
  });

  it('a registered stage declared by the card refines the masks of all sources jointly', async () => {
    let seen: number | null = null;
    REFINERS.motion = () => ({
      name: 'motion',
      sessions: ['motion'],
      refine: async (masks, ctx) => {
        seen = ctx.sources.length;
        return masks.map((v) => v / 2);
      },
    });
    const c = card(['appearance', 'motion'], ['masks', 'motion']);
    const plan = planStages(c);
    expect(plan.used).toEqual(['appearance', 'motion']);
    const ctx = {
      card: c,
      runtime: { masks: async (_a: unknown, _f: Float32Array, n: number) => new Float32Array(n * 4).fill(0.8) },
      sources: [{ features: new Float32Array(2), row: 0, col: 0, frame: 0 }, { features: new Float32Array(2), row: 1, col: 1, frame: 0 }],
    } as unknown as WindowContext;
    const m = await windowMasks(plan, ctx);
    expect(seen).toBe(2);
    expect(Array.from(m)).toEqual(new Array(8).fill(0.4).map((v) => Math.fround(v)));
    // Without its session the stage is skipped rather than failing.
    expect(planStages(card(['appearance', 'motion'], ['masks'])).used).toEqual(['appearance']);
  });

  it('analysis extensions run only for declared stages whose sessions are loaded', () => {
    ANALYSIS_EXTENSIONS.motion = () => ({ stage: 'motion', sessions: ['motion'], begin: async () => {}, batch: async () => {}, end: async () => ({}), abort: async () => {} });
    expect(analysisExtensions(card(['appearance', 'motion'], ['motion']), () => true).map((e) => e.stage)).toEqual(['motion']);
    expect(analysisExtensions(card(['appearance'], ['motion']), () => true)).toEqual([]);
    expect(analysisExtensions(card(['appearance', 'motion'], ['motion']), () => false)).toEqual([]);
  });
});
