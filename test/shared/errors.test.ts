import { describe, expect, it } from 'vitest';
import { AppError, Cancelled, DISK_FULL_MESSAGE, errorInfo, fromWire, isAppError, isCancelled, toWire } from '../../src/shared/errors';

describe('errors', () => {
  it('reports an AppError as it is: code, user message, detail', () => {
    expect(errorInfo(new AppError('media_error', 'clip.mp4 has no audio track.', 'ffprobe: 0 streams'))).toEqual({
      code: 'media_error',
      message: 'clip.mp4 has no audio track.',
      detail: 'ffprobe: 0 streams',
    });
  });

  it('turns a refused or full disk into io_error and anything else into one line of internal', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(errorInfo(full)).toMatchObject({ code: 'io_error', message: DISK_FULL_MESSAGE });
    const quota = Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' });
    expect(errorInfo(quota)).toMatchObject({ code: 'io_error', message: DISK_FULL_MESSAGE });
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(errorInfo(denied).code).toBe('io_error');
    const bug = errorInfo(new TypeError('x is undefined\n    at f (file.ts:1)'), 'Export');
    expect(bug.code).toBe('internal');
    expect(bug.message).toBe('Export failed unexpectedly (x is undefined). Try again; if it keeps failing, report it with the details.');
    expect(bug.detail).toContain('file.ts:1');
    expect(errorInfo('a string').message).toContain('(a string)');
  });

  it('has one cancelled type, recognised also when thrown by another copy of this module', () => {
    expect(isCancelled(new Cancelled())).toBe(true);
    expect(errorInfo(new Cancelled())).toMatchObject({ code: 'cancelled' });
    expect(isCancelled(new AppError('media_error', 'x'))).toBe(false);
    expect(isCancelled(new Error('cancelled'))).toBe(false);
    // What a bundled job module's own copy of the class looks like from here.
    const foreign = Object.assign(new Error('Cancelled.'), { code: 'cancelled', [Symbol.for('stemsight.AppError')]: true });
    expect(isAppError(foreign)).toBe(true);
    expect(isCancelled(foreign)).toBe(true);
  });

  it('sends an error across a thread as data and throws it again as what it was', () => {
    const sent = toWire(new AppError('model_error', 'The model is missing.', 'card.json'));
    expect(sent).toMatchObject({ code: 'model_error', message: 'The model is missing.' });
    expect(sent.detail).toMatch(/^card\.json\n.*AppError: The model is missing\./s);
    const back = fromWire(structuredClone(sent));
    expect(back).toBeInstanceOf(AppError);
    expect(back).toMatchObject({ code: 'model_error', message: 'The model is missing.', detail: sent.detail });

    expect(fromWire(toWire(new Cancelled()))).toBeInstanceOf(Cancelled);

    // A bug stays a bug: not an AppError, so whoever answers it reports it once, in its own terms.
    const bug = fromWire(structuredClone(toWire(new TypeError('x is undefined'))));
    expect(isAppError(bug)).toBe(false);
    expect(bug.message).toBe('x is undefined');
    expect(bug.stack).toContain('TypeError: x is undefined');
    expect(errorInfo(bug, 'Separation').message).toBe('Separation failed unexpectedly (x is undefined). Try again; if it keeps failing, report it with the details.');

    // A full disk is a failure the user can act on on either side.
    expect(fromWire(toWire(Object.assign(new Error('ENOSPC: write'), { code: 'ENOSPC' })))).toMatchObject({ code: 'io_error', message: DISK_FULL_MESSAGE });
  });
});
