import { describe, expect, it } from 'vitest';
import { formatWorldQuality, parseSplit, parseVariations, WORLD_KINDS, type WorldClipRow } from '../../src/main/cli/bench/world-quality';
import { UsageError } from '../../src/main/cli/args';

describe('bench world-quality --variations', () => {
  it('takes the real recordings beside the timbre variations, in the order given, once each', () => {
    expect(parseVariations('real,unseen, real')).toEqual(['real', 'unseen']);
    expect(parseVariations('test,heldout,unseen,real,canonical')).toEqual(['test', 'heldout', 'unseen', 'real', 'canonical']);
  });

  it('names the variations it takes when given one it does not know', () => {
    expect(() => parseVariations('unseen,judging')).toThrow(UsageError);
    expect(() => parseVariations('unseen,judging')).toThrow(/test, heldout, unseen, real, canonical/);
    expect(() => parseVariations(' , ')).toThrow(UsageError);
  });
});

describe('bench world-quality --split', () => {
  it('takes the test seeds or the validation split, and names both when given another', () => {
    expect(parseSplit('val')).toBe('val');
    expect(parseSplit('test')).toBe('test');
    expect(() => parseSplit('train')).toThrow(UsageError);
    expect(() => parseSplit('train')).toThrow(/test .* or val/);
  });
});

describe('bench world-quality table', () => {
  const clip = (kind: string, app: number, soundingFrames: number, pointingHits: number, soundPointingHits = 0): WorldClipRow => ({
    variation: 'real', kind, index: 1000, classes: [], aspect: '16:9', rate: 44100, app, withoutMovement: app - 1, copyPaste: 0, ibm: 20, soundingFrames, pointingHits, soundPointingHits,
  });

  it('pools pointing over the sounding frames of all clips, not over clips', () => {
    const clips = [clip('diff2', 10, 10, 9, 5), clip('same2', 4, 30, 15, 3)];
    const row = (kind: string, c: WorldClipRow) => ({ variation: 'real' as const, kind, clips: 1, app: c.app, withoutMovement: c.withoutMovement, copyPaste: 0, ibm: 20, pointing: c.pointingHits / c.soundingFrames, pointingWithoutMovement: c.soundPointingHits / c.soundingFrames });
    const table = formatWorldQuality({
      rows: WORLD_KINDS.map((k) => row(k, clips.find((c) => c.kind === k) ?? clip(k, NaN, 0, 0))),
      clips, failures: [], split: 'test', clipSeconds: 8, clipsPerKind: 1, variations: ['real'], provider: 'cpu', model: { name: 'm', version: '1', sha256: 'x'.repeat(64) },
    });
    expect(table).toContain('| real: app | real: without movement | real: copy-paste | real: IBM | real: pointing | real: pointing without movement |');
    expect(table).toContain('| diff2 | 10.00 | 9.00 | 0.00 | 20.00 | 0.90 | 0.50 |');
    // 24 (and 8) of 40 sounding frames (the mean of the two clips' shares would be 0.70 and 0.30)
    expect(table).toContain('| all clips | 7.00 | 6.00 | 0.00 | 20.00 | 0.60 | 0.20 |');
  });

  it('says when its clips come from the validation split, so that they are not read as test figures', () => {
    const figures = (split: 'test' | 'val') =>
      formatWorldQuality({ rows: WORLD_KINDS.map((kind) => ({ variation: 'test', kind, clips: 1, app: 10, withoutMovement: 9, copyPaste: 0, ibm: 20, pointing: 1, pointingWithoutMovement: 1 })), clips: [clip('diff2', 10, 10, 10)], failures: [], split, clipSeconds: 8, clipsPerKind: 6, variations: ['test'], provider: 'cpu', model: { name: 'm', version: '1', sha256: 'x'.repeat(64) } });
    expect(figures('val')).toContain('6 validation-split clip(s) (for choosing rules; not test figures) of 8 s');
    expect(figures('test')).toContain('6 test-seed clip(s) of 8 s');
  });
});
