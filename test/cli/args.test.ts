import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type OptionSpecs } from '../../src/main/cli/args';

const specs: OptionSpecs = {
  reference: { kind: 'list', help: '' },
  estimate: { kind: 'list', help: '' },
  permutation: { kind: 'boolean', default: true, help: '' },
  out: { kind: 'string', help: '', value: 'DIR' },
  source: { kind: 'repeat', help: '' },
};

describe('parseArgs', () => {
  it('collects lists until the next flag, repeats, strings and --no- booleans', () => {
    const p = parseArgs(['clip.mp4', '--reference', 'a', 'b', '--estimate=c', 'd', '--source', '0.1,0.2', '--source=0.5,0.5', '--out', 'x', '--no-permutation'], specs, 't');
    expect(p.positionals).toEqual(['clip.mp4']);
    expect(p.options).toMatchObject({ reference: ['a', 'b'], estimate: ['c', 'd'], source: ['0.1,0.2', '0.5,0.5'], out: 'x', permutation: false });
  });

  it('keeps defaults and treats everything after -- as positional', () => {
    const p = parseArgs(['--', '--reference', '-x'], specs, 't');
    expect(p.positionals).toEqual(['--reference', '-x']);
    expect(p.options.permutation).toBe(true);
    expect(p.options.reference).toEqual([]);
  });

  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['-x'], /unknown option -x/],
    [['--out'], /needs a value/],
    [['--out', '--reference', 'a'], /needs a value/],
    [['--reference'], /at least one value/],
    [['--permutation=yes'], /takes no value/],
    [['--no-out'], /unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv, specs, 't')).toThrow(UsageError);
    expect(() => parseArgs(argv, specs, 't')).toThrow(message);
  });
});

describe('createProgress', async () => {
  const { createProgress } = await import('../../src/main/cli/progress');
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    const stream = { isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    return { chunks, io: { stdout: stream, stderr: stream } };
  };
  it('writes an overwriting line on a TTY and nothing otherwise', () => {
    const tty = sink(true);
    const p = createProgress(tty.io, 0);
    p.update('separating', 0.5, 3.2);
    p.done();
    expect(tty.chunks.join('')).toContain('separating 50% (about 4 s left)');
    const pipe = sink(false);
    createProgress(pipe.io, 0).update('separating', 0.5);
    expect(pipe.chunks).toEqual([]);
  });
});
