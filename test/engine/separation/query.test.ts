import { describe, expect, it } from 'vitest';
import { anyPoint, composeQuery, composeSources, pointOf, realFootageQueries, validateQueries } from '../../../src/main/engine/separation/query';
import { frameGeometry } from '../../../src/main/engine/media/geometry';
import type { AnalysisCache } from '../../../src/main/engine/analysis/cache';
import type { ModelCard } from '../../../src/main/engine/models/card';

/**
 * The query a source is separated with: pixel features at its click (when clicked) plus its
 * class's query vector (when named), as training/nets.py AppearanceModel.query composes it:
 * v * use_visual + class_queries[class] * named.
 */

const K = 3;
const classes = ['guitar', 'speaker'];
const withQueries = { name: 'm', modelVersion: '2', classes, classQueries: { guitar: [1, 2, 3], speaker: [-1, 0.5, 4] }, video: { features: K } } as unknown as ModelCard;
const withoutQueries = { ...withQueries, classQueries: undefined } as unknown as ModelCard;

/** A 1x2-cell feature grid whose cell values are the same in every channel: 10 (left) and 20 (right), frame 7 at any time. */
function fakeCache(): AnalysisCache {
  const grid: [number, number] = [1, 2];
  const map = Float32Array.from({ length: K * 2 }, (_, j) => (j % 2 === 0 ? 10 : 20));
  return {
    meta: { geometry: frameGeometry(200, 100, 16, 8, 'stretch'), featureStride: 8, grid, features: K },
    frameAt: () => 7,
    visualFeatures: async (frame: number) => {
      expect(frame).toBe(7);
      return map;
    },
  } as unknown as AnalysisCache;
}

describe('composeQuery (the training composition)', () => {
  it('adds the pixel feature and the class query; a missing part adds nothing', () => {
    const pixel = Float32Array.of(0.5, -2, 1);
    expect(Array.from(composeQuery(K, pixel, [1, 2, 3]))).toEqual([1.5, 0, 4]);
    expect(Array.from(composeQuery(K, pixel, null))).toEqual([0.5, -2, 1]);
    expect(Array.from(composeQuery(K, null, [1, 2, 3]))).toEqual([1, 2, 3]);
  });
});

describe('composeSources', () => {
  it('a click alone, a name alone and both give pixel, class and pixel + class vectors; only clicks have a cell', async () => {
    const r = await composeSources(withQueries, fakeCache(), [
      { x: 0.9, y: 0.5, timeSec: 1 },
      { className: 'speaker' },
      { x: 0.1, y: 0.5, timeSec: 1, className: 'guitar' },
    ]);
    expect(r.warnings).toEqual([]);
    // The right cell's 3x3 neighbourhood on a 1x2 grid: weights 2 (itself) and 1 (left) -> (2 * 20 + 10) / 3.
    const right = (2 * 20 + 10) / 3, left = (2 * 10 + 20) / 3;
    expect(Array.from(r.inputs[0].features)).toEqual([right, right, right].map(Math.fround));
    expect(r.inputs[0].cell).toEqual({ row: 0, col: 1, frame: 7 });
    expect(Array.from(r.inputs[1].features)).toEqual([-1, 0.5, 4]);
    expect(r.inputs[1].cell).toBeNull();
    // Added in float32, as the engine does.
    expect(Array.from(r.inputs[2].features)).toEqual([1, 2, 3].map((q) => Math.fround(Math.fround(left) + q)));
    expect(r.inputs[2].cell).toEqual({ row: 0, col: 0, frame: 7 });
  });

  it('real footage: a click on a face asks for a speaker, a named click asks by name alone, an unnamed click off faces keeps the picture and is warned about', async () => {
    // One face, its track 4, in the left half of the frame.
    const faceAt = (x: number, y: number) => (x < 0.5 && y > 0.2 && y < 0.8 ? 4 : null);
    const queries = [
      { x: 0.25, y: 0.5, timeSec: 1 }, // on the face
      { x: 0.75, y: 0.5, timeSec: 1, className: 'guitar' }, // a player, named
      { x: 0.25, y: 0.5, timeSec: 1, className: 'guitar' }, // on the face but named otherwise: the name wins
      { x: 0.9, y: 0.1, timeSec: 2 }, // nothing known there
      { className: 'speaker' }, // a name alone
    ];
    const r = realFootageQueries(queries, faceAt);
    expect(r.queries).toEqual([
      { x: 0.25, y: 0.5, timeSec: 1, className: 'speaker', usePicture: false },
      { x: 0.75, y: 0.5, timeSec: 1, className: 'guitar', usePicture: false },
      { x: 0.25, y: 0.5, timeSec: 1, className: 'guitar', usePicture: false },
      { x: 0.9, y: 0.1, timeSec: 2 },
      { className: 'speaker' },
    ]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^source 4: on real footage a click that is not on a face/);
    // Only the unnamed click still needs the picture's features.
    expect(anyPoint(r.queries.slice(0, 3))).toBe(false);
    expect(anyPoint(r.queries)).toBe(true);
    // A named real-footage click is the class query alone, with no cell; its point stays for the manifest.
    const c = await composeSources(withQueries, null, r.queries.slice(0, 2));
    expect(Array.from(c.inputs[0].features)).toEqual([-1, 0.5, 4]);
    expect(Array.from(c.inputs[1].features)).toEqual([1, 2, 3]);
    expect(c.inputs.map((i) => i.cell)).toEqual([null, null]);
    expect(pointOf(r.queries[0])).toEqual({ x: 0.25, y: 0.5, timeSec: 1 });
  });

  it('a real-footage click whose class the card cannot ask for falls back to the picture', async () => {
    const r = await composeSources(withoutQueries, fakeCache(), [{ x: 0.1, y: 0.5, timeSec: 0, className: 'speaker', usePicture: false }]);
    const left = Math.fround((2 * 10 + 20) / 3);
    expect(Array.from(r.inputs[0].features)).toEqual([left, left, left]);
    expect(r.warnings).toHaveLength(1);
  });

  it('needs no analysis when no source has a point', async () => {
    const r = await composeSources(withQueries, null, [{ className: 'guitar' }]);
    expect(Array.from(r.inputs[0].features)).toEqual([1, 2, 3]);
  });

  it('a card without class queries: a click with a name uses the click alone and says so; a name alone is refused', async () => {
    const r = await composeSources(withoutQueries, fakeCache(), [{ x: 0.1, y: 0.5, timeSec: 0, className: 'speaker' }]);
    const left = Math.fround((2 * 10 + 20) / 3);
    expect(Array.from(r.inputs[0].features)).toEqual([left, left, left]);
    expect(r.warnings).toEqual(["source 1: the installed model cannot use the class name 'speaker', so the click alone chose the sound"]);
    await expect(composeSources(withoutQueries, null, [{ x: 0.1, y: 0.5, timeSec: 0 }, { className: 'speaker' }])).rejects.toThrow(
      "source 2 is asked for by name ('speaker') alone, but the installed model (m 2) was trained without class queries; click the source in the picture instead, or install a model that has them",
    );
  });

  it('a point without an analysis is refused', async () => {
    await expect(composeSources(withQueries, null, [{ x: 0.5, y: 0.5, timeSec: 0 }])).rejects.toThrow(/no analysis of its picture/);
  });
});

describe('validateQueries', () => {
  it.each([
    [[], /at least one source/],
    [Array.from({ length: 9 }, () => ({ className: 'guitar' })), /at most 8 sources/],
    [[{}], /source 1: give a point in the picture, a class name, or both/],
    [[{ className: 'guitar' }, { x: 0.5, y: 0.5 }], /source 2: a point needs X, Y and its time together/],
    [[{ x: 1.5, y: 0.5, timeSec: 0 }], /source 1: X,Y must be numbers in 0\.\.1/],
    [[{ x: 0.5, y: 0.5, timeSec: -1 }], /source 1: time must be a number of seconds >= 0/],
    [[{ className: 'kazoo' }], /source 1: the model knows no class 'kazoo' \(it knows guitar, speaker\)/],
  ])('refuses %j', (queries, message) => {
    expect(() => validateQueries(queries, withQueries)).toThrow(message);
  });

  it('reads points with nulls for the parts a source lacks', () => {
    expect(pointOf({ x: 0.1, y: 0.2, timeSec: 3, className: 'guitar' })).toEqual({ x: 0.1, y: 0.2, timeSec: 3 });
    expect(pointOf({ x: null, y: null, timeSec: null, className: 'guitar' })).toBeNull();
    expect(anyPoint([{ className: 'guitar' }, { x: 0, y: 0, timeSec: 0 }])).toBe(true);
    expect(anyPoint([{ className: 'guitar' }])).toBe(false);
  });
});
