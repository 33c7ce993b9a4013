import { describe, expect, it } from 'vitest';
import { DEFAULT_ENHANCER_AMOUNT, DEFAULT_STRENGTH, enhancerAmount, strengthPower } from '../../src/shared/stem-edit';

describe('strength', () => {
  it("sets the speech enhancer's amount: none at 0, what the separation cleans with at the default, all at 1", () => {
    expect(enhancerAmount(0)).toBe(0);
    expect(enhancerAmount(DEFAULT_STRENGTH)).toBe(DEFAULT_ENHANCER_AMOUNT);
    expect(DEFAULT_ENHANCER_AMOUNT).toBe(0.8);
    expect(enhancerAmount(1)).toBe(1);
    expect(enhancerAmount(0.25)).toBeCloseTo(0.4, 12);
    expect(enhancerAmount(0.75)).toBeCloseTo(0.9, 12);
    // Rising all the way (a higher strength never removes less), held inside 0..1.
    for (let s = 0.01; s <= 1; s += 0.01) expect(enhancerAmount(s)).toBeGreaterThan(enhancerAmount(s - 0.01));
    expect(enhancerAmount(-1)).toBe(0);
    expect(enhancerAmount(2)).toBe(1);
  });

  it('sets the mask exponent: 1/4 at 0, 1 (the stem as separated) at the default, 4 at 1', () => {
    expect(strengthPower(0)).toBeCloseTo(0.25, 12);
    expect(strengthPower(DEFAULT_STRENGTH)).toBe(1);
    expect(strengthPower(1)).toBeCloseTo(4, 12);
  });
});
