import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/main/cli/args';
import { parseSource } from '../../src/main/cli/commands/separate';
import { SOURCE_CLASSES } from '../../src/shared/classes';

/** Every form of --source, and every way to get it wrong. */
describe('--source', () => {
  it.each([
    ['0.25,0.5', { x: 0.25, y: 0.5 }],
    [' 0 , 1 ', { x: 0, y: 1 }],
    ['1,0', { x: 1, y: 0 }],
    ['0.25,0.5,guitar', { x: 0.25, y: 0.5, className: 'guitar' }],
    ['0.7,0.4, Saxophone ', { x: 0.7, y: 0.4, className: 'saxophone' }],
    ['0.5,0.5,speech', { x: 0.5, y: 0.5, className: 'speaker' }],
    ['speech', { className: 'speaker' }],
    ['Voice', { className: 'speaker' }],
    ['DIALOGUE', { className: 'speaker' }],
    ['speaker', { className: 'speaker' }],
    ['drums', { className: 'drums' }],
  ])('reads %j', (value, expected) => {
    expect(parseSource(value)).toEqual(expected);
  });

  it('knows every class of the model card by name', () => {
    for (const c of SOURCE_CLASSES) expect(parseSource(c)).toEqual({ className: c });
  });

  const listed = SOURCE_CLASSES.join(', ');
  it.each([
    ['kazoo', `--source 'kazoo': 'kazoo' is not a sound class Stemsight knows; use one of ${listed} (or speech, voice, dialogue for speaker)`],
    ['0.2,0.3,kazoo', `--source '0.2,0.3,kazoo': 'kazoo' is not a sound class Stemsight knows; use one of ${listed}`],
    ['0.2,0.3,', /--source '0\.2,0\.3,': '' is not a sound class/],
    ['1.5,0.2', /--source '1\.5,0\.2' must be X,Y with both numbers in 0\.\.1 from the top-left of the frame, optionally followed by ,CLASS/],
    ['0.2,-0.1', /must be X,Y with both numbers in 0\.\.1/],
    ['0.2,x', /must be X,Y with both numbers in 0\.\.1/],
    ['guitar,0.5', /must be X,Y with both numbers in 0\.\.1/],
    [',0.5', /must be X,Y with both numbers in 0\.\.1/],
    ['0.5', /--source '0\.5' must be X,Y \(a point, 0\.\.1 from the top-left of the frame\), X,Y,CLASS \(a point and what it is\) or CLASS alone/],
    ['', /--source '' must be X,Y .* or CLASS alone/],
    ['0.1,0.2,guitar,extra', /must be X,Y .* or CLASS alone/],
    ['guitar,violin', /must be X,Y with both numbers in 0\.\.1/],
  ])('refuses %j with what to write instead', (value, message) => {
    expect(() => parseSource(value)).toThrow(UsageError);
    expect(() => parseSource(value)).toThrow(message);
  });
});
