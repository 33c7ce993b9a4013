import { describe, expect, it } from 'vitest';
import { formatRulerTime, rulerStep } from '../../src/renderer/src/lib/format';

describe('ruler labels', () => {
  it('read m:ss at every zoom, never bare seconds', () => {
    expect([50, 60, 70].map((t) => formatRulerTime(t, 10))).toEqual(['0:50', '1:00', '1:10']);
    expect(formatRulerTime(3723, 60)).toBe('1:02:03');
    expect(formatRulerTime(1.5, 0.5)).toBe('0:01.5');
    expect(formatRulerTime(0, 1)).toBe('0:00');
  });

  it('leave room between labels', () => {
    for (const px of [1, 8, 30, 100, 400, 2000]) expect(rulerStep(px) * px).toBeGreaterThanOrEqual(64);
    expect(rulerStep(100)).toBe(1);
  });
});
