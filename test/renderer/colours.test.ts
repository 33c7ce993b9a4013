import { describe, expect, it } from 'vitest';
import { ORIGINAL_COLOUR } from '../../src/renderer/src/lib/colours';
import { SOURCE_PALETTE } from '../../src/main/engine/project/sources';

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
/** Redmean colour distance (0..~765): a cheap approximation of how different two colours look. */
function distance(a: string, b: string): number {
  const [r1, g1, b1] = rgb(a);
  const [r2, g2, b2] = rgb(b);
  const r = (r1 + r2) / 2;
  return Math.sqrt((2 + r / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2 + (2 + (255 - r) / 256) * (b1 - b2) ** 2);
}

describe('track colours', () => {
  it('the Original looks unlike every source colour', () => {
    for (const c of SOURCE_PALETTE) expect(distance(ORIGINAL_COLOUR, c), c).toBeGreaterThan(150);
  });
});
