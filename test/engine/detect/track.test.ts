import { describe, expect, it } from 'vitest';
import { iou, IouTracker } from '../../../src/main/engine/detect/track';
import type { DetectedObject } from '../../../src/main/engine/detect/types';

const face = (x: number, y = 0.2): DetectedObject => ({ kind: 'face', box: [x, y, x + 0.2, y + 0.2], score: 0.9 });

describe('IoU tracking', () => {
  it('measures overlap', () => {
    expect(iou([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(iou([0, 0, 0.5, 1], [0.5, 0, 1, 1])).toBe(0);
    expect(iou([0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5])).toBeCloseTo(1 / 3);
  });

  it('keeps each of two moving faces on its own track, in any order of detections', () => {
    const t = new IouTracker();
    const a0 = t.update(0, [face(0.1), face(0.6)]);
    const a1 = t.update(0.25, [face(0.62), face(0.13)]);
    expect(a1[0].track).toBe(a0[1].track);
    expect(a1[1].track).toBe(a0[0].track);
    expect(new Set(a0.map((o) => o.track)).size).toBe(2);
  });

  it('starts a new track for a new object, for another kind in the same place, and after a long gap', () => {
    const t = new IouTracker({ maxGapSec: 1 });
    const [first] = t.update(0, [face(0.1)]);
    const [hand] = t.update(0.2, [{ ...face(0.1), kind: 'hand' }]);
    expect(hand.track).not.toBe(first.track);
    const [again] = t.update(0.5, [face(0.1)]);
    expect(again.track).toBe(first.track);
    const [late] = t.update(2, [face(0.1)]);
    expect(late.track).not.toBe(first.track);
  });

  it('waits longer for kinds that are looked for less often', () => {
    const t = new IouTracker({ maxGapSec: { face: 1, hand: 3 } });
    const [f0, h0] = t.update(0, [face(0.1), { ...face(0.6), kind: 'hand' }]);
    const [f1, h1] = t.update(2, [face(0.1), { ...face(0.6), kind: 'hand' }]);
    expect(f1.track).not.toBe(f0.track);
    expect(h1.track).toBe(h0.track);
  });
});
