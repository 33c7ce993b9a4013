import { describe, expect, it } from 'vitest';
import { planSegments, REFRESH_EVERY } from '../../../src/main/engine/detect/segments';

describe('cutting a clip into segments for the detectors', () => {
  it('starts every segment on a frame taken on its own and covers the clip once, the last to its end', () => {
    for (const [frames, fullEvery, target] of [[49, 4, 24], [120, 4, 60], [1000, 6, 50], [10, 4, 100], [3, 1, 1]]) {
      const segs = planSegments(frames, fullEvery, target);
      expect(segs[0].first).toBe(0);
      expect(segs.at(-1)!.count).toBeNull();
      segs.forEach((s, i) => {
        expect(s.first % REFRESH_EVERY).toBe(0);
        expect(s.first % fullEvery).toBe(0);
        if (i > 0) expect(s.first).toBe(segs[i - 1].first + segs[i - 1].count!);
      });
      expect(segs.at(-1)!.first).toBeLessThan(Math.max(frames, 1));
    }
    expect(planSegments(49, 4, 24)).toEqual([{ first: 0, count: 24 }, { first: 24, count: null }]);
    expect(planSegments(10, 4, 100)).toEqual([{ first: 0, count: null }]);
  });
});
