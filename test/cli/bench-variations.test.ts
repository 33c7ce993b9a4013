import { describe, expect, it } from 'vitest';
import { parseVariations } from '../../src/main/cli/bench/world-quality';
import { UsageError } from '../../src/main/cli/args';

describe('bench world-quality --variations', () => {
  it('takes the real recordings beside the timbre variations, in the order given, once each', () => {
    expect(parseVariations('real,unseen, real')).toEqual(['real', 'unseen']);
    expect(parseVariations('test,heldout,unseen,real')).toEqual(['test', 'heldout', 'unseen', 'real']);
  });

  it('names the variations it takes when given one it does not know', () => {
    expect(() => parseVariations('unseen,judging')).toThrow(UsageError);
    expect(() => parseVariations('unseen,judging')).toThrow(/test, heldout, unseen, real/);
    expect(() => parseVariations(' , ')).toThrow(UsageError);
  });
});
