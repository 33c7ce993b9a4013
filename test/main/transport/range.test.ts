import { describe, expect, it } from 'vitest';
import { mediaContentType, parseRange } from '../../../src/main/transport/range';

describe('parseRange', () => {
  it('serves the whole file without a usable header', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('items=0-5', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-9', 100)).toBeNull(); // multi-range: whole file is allowed
    expect(parseRange('bytes=-', 100)).toBeNull();
  });
  it('handles open, closed and suffix ranges', () => {
    expect(parseRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });
  it('rejects ranges outside the file', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=20-10', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
  it('knows the common media types', () => {
    expect(mediaContentType('/a/b.MP4')).toBe('video/mp4');
    expect(mediaContentType('x.wav')).toBe('audio/wav');
    expect(mediaContentType('x.unknown')).toBe('application/octet-stream');
  });
});
