import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activityAt, analysisExtensions, planStages, STAGES, windowMasks, type WindowContext } from '../../../src/main/engine/stages';
import { motionExtension, MOTION_FILE, windowActivity } from '../../../src/main/engine/stages/motion';
import { decodeHalf } from '../../../src/main/engine/analysis/half';
import type { ModelCard } from '../../../src/main/engine/models/card';
import type { ModelRuntime } from '../../../src/main/engine/models/runtime';

/** The seam the motion stage plugs into: declared in the card -> used; unknown -> skipped. */

const card = (stages: string[], sessions: string[], extra: object = {}) =>
  ({
    stages,
    sessions: Object.fromEntries(sessions.map((s) => [s, { file: `${s}.onnx` }])),
    video: { features: 2, width: 4, height: 2, grid: [1, 2] },
    audio: { sampleRate: 11025 },
    ...extra,
  }) as unknown as ModelCard;

afterEach(() => {
  delete STAGES.fake;
});

describe('stage pipeline', () => {
  it('appearance-only card: masks straight from the masks session', () => {
    const plan = planStages(card(['appearance'], ['visual', 'audio', 'masks', 'localization']));
    expect(plan).toMatchObject({ used: ['appearance'], skipped: [] });
  });

  it('a declared stage with no implementation is skipped and reported, appearance still runs', () => {
    const plan = planStages(card(['appearance', 'future'], ['masks', 'future']));
    expect(plan.used).toEqual(['appearance']);
    expect(plan.skipped).toEqual([{ stage: 'future', reason: expect.stringMatching(/cannot run the 'future' stage/) }]);
  });

  it('the motion stage is used when the card declares it with its sessions, skipped when a session is missing', () => {
    expect(planStages(card(['appearance', 'motion'], ['masks', 'motion', 'refine'])).used).toEqual(['appearance', 'motion']);
    const partial = planStages(card(['appearance', 'motion'], ['masks', 'motion']));
    expect(partial.used).toEqual(['appearance']);
    expect(partial.skipped[0].reason).toMatch(/refine/);
  });

  it('a refining stage refines the masks of all sources jointly', async () => {
    let seen: number | null = null;
    STAGES.fake = {
      name: 'fake',
      separation: () => ({
        name: 'fake',
        sessions: ['fake'],
        refine: async (masks, ctx) => {
          seen = ctx.sources.length;
          return masks!.map((v) => v / 2);
        },
      }),
    };
    const c = card(['appearance', 'fake'], ['masks', 'fake']);
    const plan = planStages(c);
    const ctx = {
      card: c,
      runtime: { masks: async (_a: unknown, _f: Float32Array, n: number) => new Float32Array(n * 4).fill(0.8) },
      sources: [{ features: new Float32Array(2), cell: { row: 0, col: 0, frame: 0 } }, { features: new Float32Array(2), cell: { row: 1, col: 1, frame: 0 } }],
    } as unknown as WindowContext;
    const m = await windowMasks(plan, ctx);
    expect(seen).toBe(2);
    expect(Array.from(m.masks)).toEqual(new Array(8).fill(Math.fround(0.4)));
    // The appearance masks come along, untouched, for the movement share.
    expect(Array.from(m.appearance!)).toEqual(new Array(8).fill(Math.fround(0.8)));
  });

  it('motion refinement: refine.onnx gets the window frames\' cached motion features and the clicked cells; masks.onnx runs only for the movement share of two or more sources', async () => {
    const c = card(['appearance', 'motion'], ['masks', 'motion', 'refine'], { motion: { frames: 3, features: 2 } });
    const calls: Record<string, { dims: readonly number[]; data: Float32Array }>[] = [];
    let appearanceRuns = 0;
    const runtime = {
      masks: async (_a: unknown, _f: Float32Array, n: number) => {
        appearanceRuns++;
        return new Float32Array(n * 4).fill(0.6);
      },
      run: async (name: string, feeds: Record<string, { dims: readonly number[]; data: Float32Array }>) => {
        expect(name).toBe('refine');
        calls.push(feeds);
        return { masks: { data: new Float32Array(2 * 4).fill(0.25) } };
      },
    };
    // Frame f's motion features: channel ch, cell k -> 100 f + 10 ch + k.
    const cache = {
      meta: { fps: 8, frames: 40 },
      frameRangeFeatures: async (name: string, first: number, count: number, n: number) => {
        expect(name).toBe('motion');
        expect(first >= 0 && first + count <= 40).toBe(true);
        return Float32Array.from({ length: count * n }, (_, j) => {
          const f = first + Math.floor(j / n), i = j % n;
          return 100 * f + 10 * Math.floor(i / 2) + (i % 2);
        });
      },
    };
    const ctx = {
      card: c,
      runtime,
      cache,
      start: 11025 * 2, // 2 s -> frame 16
      audio: { features: {}, weights: {} },
      sources: [{ features: Float32Array.of(1, 2), cell: { row: 0, col: 1, frame: 0 } }, { features: Float32Array.of(3, 4), cell: { row: 0, col: 0, frame: 0 } }],
    } as unknown as WindowContext;
    const m = await windowMasks(planStages(c), ctx);
    expect(Array.from(m.masks)).toEqual(new Array(8).fill(0.25));
    expect(Array.from(m.appearance!)).toEqual(new Array(8).fill(Math.fround(0.6)));
    expect(appearanceRuns).toBe(1);
    const feeds = calls[0];
    expect(feeds.motion_features.dims).toEqual([1, 2, 3, 1, 2]);
    // (C, T, cells): channel 1, t = 2 (frame 18), cell 1.
    expect(feeds.motion_features.data[(1 * 3 + 2) * 2 + 1]).toBe(1811);
    expect(Array.from(feeds.source_cells.data)).toEqual([0, 1, 0, 0]);
    expect(Array.from(feeds.source_features.data)).toEqual([1, 2, 3, 4]);
    expect(feeds.activity).toBeUndefined(); // this refinement does not read activities
    // A window starting at the last frame: the frames past the end repeat it.
    await windowMasks(planStages(c), { ...ctx, start: Math.round((39 / 8) * 11025) } as WindowContext);
    const late = calls[1].motion_features.data;
    for (let t = 0; t < 3; t++) expect(late[(1 * 3 + t) * 2 + 1]).toBe(3911);
    // A single source: nothing to share, so the appearance stage is not run.
    const single = await windowMasks(planStages(c), { ...ctx, sources: ctx.sources.slice(0, 1) } as WindowContext);
    expect(single.appearance).toBeNull();
    expect(appearanceRuns).toBe(2);
  });

  it('a refinement that reads activities gets each clicked source\'s over the window\'s frames, over its largest there; 0 where it was not followed', async () => {
    const c = card(['appearance', 'motion'], ['masks', 'motion', 'refine'], { motion: { frames: 3, features: 1 } });
    c.sessions.refine.inputs = { activity: [2, 3] };
    const plan = planStages(c);
    expect(plan.refiners[0].readsActivity).toBe(true);
    expect(planStages(card(['appearance', 'motion'], ['masks', 'motion', 'refine'])).refiners[0].readsActivity).toBe(false);
    let feeds: Record<string, { dims: readonly number[]; data: Float32Array }> = {};
    const runtime = {
      masks: async (_a: unknown, _f: Float32Array, n: number) => new Float32Array(n * 4),
      run: async (_name: string, f: typeof feeds) => {
        feeds = f;
        return { masks: { data: new Float32Array(2 * 4) } };
      },
    };
    const cache = { meta: { fps: 8, frames: 40 }, frameRangeFeatures: async (_n: string, _f: number, count: number, n: number) => new Float32Array(count * n) };
    // Followed at 4 fps from 1 s: tracker frame n stands for 1 + (n + 0.5) / 4 s, its activity n / 10.
    const followed = { fps: 4, fromSec: 1, values: Float32Array.from({ length: 10 }, (_, n) => n / 10) };
    const ctx = {
      card: c,
      runtime,
      cache,
      start: 11025 * 2, // window frames 16, 17, 18 at 8 fps: middles 2.0625, 2.1875, 2.3125 s
      audio: { features: {}, weights: {} },
      sources: [
        { features: Float32Array.of(1, 2), cell: { row: 0, col: 1, frame: 0 }, activity: followed },
        { features: Float32Array.of(3, 4), cell: { row: 0, col: 0, frame: 0 }, activity: null },
      ],
    } as unknown as WindowContext;
    await windowMasks(plan, ctx);
    expect(feeds.activity.dims).toEqual([2, 3]);
    // On the tracker's frames 3.75, 4.25, 4.75: 0.375, 0.425, 0.475, each over 0.475 + 0.001.
    const want = [0.375, 0.425, 0.475].map((v) => v / 0.476);
    Array.from(feeds.activity.data.subarray(0, 3)).forEach((v, t) => expect(v).toBeCloseTo(want[t], 5));
    expect(Array.from(feeds.activity.data.subarray(3))).toEqual([0, 0, 0]);
  });

  it('a followed activity is linear between the tracker\'s frames and holds its ends', () => {
    const followed = { fps: 4, fromSec: 1, values: Float32Array.of(0, 1, 0.5) };
    // Frame n stands for 1 + (n + 0.5) / 4 s: frame 0 at 1.125 s, frame 1 at 1.375 s.
    expect(activityAt(followed, 1.125)).toBeCloseTo(0);
    expect(activityAt(followed, 1.25)).toBeCloseTo(0.5);
    expect(activityAt(followed, 1.5)).toBeCloseTo(0.75);
    expect(activityAt(followed, 0)).toBe(0);
    expect(activityAt(followed, 9)).toBe(0.5);
    expect(activityAt({ fps: 4, fromSec: 0, values: new Float32Array(0) }, 1)).toBe(0);
  });

  it('a window\'s activity holds the followed ends beyond them', () => {
    const followed = { fps: 8, fromSec: 0, values: Float32Array.of(0.2, 0.4, 0.8) };
    // Frames -2..3 of 8 fps: before the first followed frame and after the last, the ends hold.
    const a = windowActivity(followed, -2, 6, 8);
    expect(Array.from(a).map((v) => Math.round(v * 1000) / 1000)).toEqual([0.2, 0.2, 0.2, 0.4, 0.8, 0.8].map((v) => Math.round((v / 0.801) * 1000) / 1000));
    expect(Array.from(windowActivity(null, 0, 3, 8))).toEqual([0, 0, 0]);
  });

  it('motion refines only the sources with a point; a source named alone keeps its appearance mask, and with no point at all motion is skipped', async () => {
    const c = card(['appearance', 'motion'], ['masks', 'motion', 'refine'], { motion: { frames: 2, features: 1 }, audio: { sampleRate: 11025, bins: 2, frames: 2 } });
    const calls: Record<string, { dims: readonly number[]; data: Float32Array }>[] = [];
    const runtime = {
      // Appearance: source i's mask is all 0.1 * (i + 1).
      masks: async (_a: unknown, _f: Float32Array, n: number) => Float32Array.from({ length: n * 4 }, (_, j) => 0.1 * (Math.floor(j / 4) + 1)),
      run: async (_name: string, feeds: Record<string, { dims: readonly number[]; data: Float32Array }>) => {
        calls.push(feeds);
        return { masks: { data: new Float32Array(feeds.source_features.dims[0] * 4).fill(0.9) } };
      },
    };
    const cache = { meta: { fps: 8, frames: 40 }, frameRangeFeatures: async (_n: string, _f: number, count: number, n: number) => new Float32Array(count * n) };
    const named = { features: Float32Array.of(5, 6), cell: null };
    const clicked = { features: Float32Array.of(7, 8), cell: { row: 0, col: 1, frame: 3 } };
    const ctx = { card: c, runtime, cache, start: 0, audio: { features: {}, weights: {} }, sources: [named, clicked, named] } as unknown as WindowContext;
    const { masks: m, appearance } = await windowMasks(planStages(c), ctx);
    expect(Array.from(appearance!).map((v) => Math.round(v * 10) / 10)).toEqual([0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3]);
    expect(calls).toHaveLength(1);
    expect(calls[0].source_features.dims).toEqual([1, 2]);
    expect(Array.from(calls[0].source_features.data)).toEqual([7, 8]);
    expect(Array.from(calls[0].source_cells.data)).toEqual([0, 1]);
    expect(Array.from(m)).toEqual([...new Array(4).fill(Math.fround(0.1)), ...new Array(4).fill(Math.fround(0.9)), ...new Array(4).fill(Math.fround(0.3))]);

    const plan = planStages(c, () => true, undefined, false);
    expect(plan.used).toEqual(['appearance']);
    expect(plan.skipped).toEqual([{ stage: 'motion', reason: 'no source has a point in the picture to follow' }]);
    const names = await windowMasks(plan, { ...ctx, cache: null, sources: [named, named] } as unknown as WindowContext);
    expect(calls).toHaveLength(1);
    expect(names.masks.length).toBe(8);
    expect(names.appearance).toBeNull(); // no refinement ran: the masks are the appearance masks
  });

  it('analysis extensions run only for declared stages whose sessions are loaded', () => {
    STAGES.fake = { name: 'fake', analysis: () => ({ stage: 'fake', sessions: ['fake'], begin: async () => {}, batch: async () => {}, end: async () => ({}), abort: async () => {} }) };
    expect(analysisExtensions(card(['appearance', 'fake'], ['fake']), () => true).map((e) => e.stage)).toEqual(['fake']);
    expect(analysisExtensions(card(['appearance'], ['fake']), () => true)).toEqual([]);
    expect(analysisExtensions(card(['appearance', 'fake'], ['fake']), () => false)).toEqual([]);
  });
});

describe('motion features in the analysis pass', () => {
  it('caches one feature map per frame, each computed with its neighbours as context', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-motion-'));
    try {
      const c = card(['appearance', 'motion'], ['motion'], { motion: { frames: 4, features: 2 } });
      const seen: number[][] = [];
      // Fake motion session: frames carry their index in every value; features = index + 1000 * ch.
      const rt = {
        run: async (_name: string, feeds: Record<string, { dims: number[]; data: Float32Array }>) => {
          const [, t] = feeds.frames.dims;
          const size = 3 * 4 * 2;
          const idx = Array.from({ length: t }, (_, i) => feeds.frames.data[i * size]);
          seen.push(idx);
          const out = new Float32Array(2 * t * 2);
          for (let ch = 0; ch < 2; ch++) for (let i = 0; i < t; i++) for (let k = 0; k < 2; k++) out[(ch * t + i) * 2 + k] = idx[i] + 1000 * ch;
          return { motion_features: { data: out } };
        },
      } as unknown as ModelRuntime;
      const ext = motionExtension(c);
      await ext.begin(dir, rt);
      const frameSize = 3 * 4 * 2;
      for (let f0 = 0; f0 < 13; f0 += 5) {
        const n = Math.min(5, 13 - f0);
        const frames = new Float32Array(n * frameSize);
        for (let i = 0; i < n; i++) frames.fill(f0 + i, i * frameSize, (i + 1) * frameSize);
        await ext.batch({ frames, indices: Array.from({ length: n }, (_, i) => f0 + i), visual: new Float32Array(0), windowStart: null, audio: null });
      }
      expect(await ext.end()).toEqual({ motion: MOTION_FILE });
      const data = decodeHalf(readFileSync(path.join(dir, MOTION_FILE)));
      expect(data.length).toBe(13 * 2 * 2);
      for (let f = 0; f < 13; f++) expect(Array.from(data.subarray(f * 4, f * 4 + 4))).toEqual([f, f, 1000 + f, 1000 + f]);
      // Chunks after the first start 4 frames early (context) and end 4 frames late.
      expect(seen[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(seen[1][0]).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
