import { describe, expect, it } from 'vitest';
import { commandForKey, type KeyPress } from '../../src/renderer/src/lib/keys';

const press = (key: string, set: Partial<KeyPress> = {}): KeyPress => ({
  key,
  code: key === ' ' ? 'Space' : `Key${key.toUpperCase()}`,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  repeat: false,
  ...set,
});

describe('editor keys', () => {
  it('map to the same commands as the menu', () => {
    expect(commandForKey(press(' '), false)).toBe('play-pause');
    expect(commandForKey(press('z', { ctrlKey: true }), false)).toBe('undo');
    expect(commandForKey(press('Z', { ctrlKey: true, shiftKey: true }), false)).toBe('redo');
    expect(commandForKey(press('y', { metaKey: true }), false)).toBe('redo');
    expect(commandForKey(press('e', { metaKey: true }), false)).toBe('export');
    expect(commandForKey(press('m'), false)).toBe('mute');
    expect(commandForKey(press('S'), false)).toBe('solo');
    expect(commandForKey(press('Delete'), false)).toBe('remove-source');
    expect(commandForKey(press('Backspace'), false)).toBe('remove-source');
  });

  it('leave typing, modified letters and held Space alone', () => {
    for (const k of [' ', 'm', 's', 'Delete']) expect(commandForKey(press(k), true)).toBeNull();
    expect(commandForKey(press('z', { ctrlKey: true }), true)).toBeNull();
    // Export still opens from a text field.
    expect(commandForKey(press('e', { ctrlKey: true }), true)).toBe('export');
    expect(commandForKey(press(' ', { repeat: true }), false)).toBeNull();
    expect(commandForKey(press(' ', { altKey: true }), false)).toBeNull();
    expect(commandForKey(press('m', { ctrlKey: true }), false)).toBeNull();
    expect(commandForKey(press('s', { altKey: true }), false)).toBeNull();
    expect(commandForKey(press('x'), false)).toBeNull();
  });

  it('drive the transport: J/K/L, arrows, Home/End, I/O, Esc', () => {
    expect(['j', 'k', 'l', 'i', 'o'].map((k) => commandForKey(press(k), false))).toEqual(['shuttle-back', 'shuttle-stop', 'shuttle-forward', 'mark-in', 'mark-out']);
    expect(commandForKey(press('ArrowLeft'), false)).toBe('frame-back');
    expect(commandForKey(press('ArrowRight'), false)).toBe('frame-forward');
    expect(commandForKey(press('ArrowLeft', { shiftKey: true }), false)).toBe('second-back');
    expect(commandForKey(press('ArrowRight', { shiftKey: true }), false)).toBe('second-forward');
    expect(commandForKey(press('Home'), false)).toBe('go-start');
    expect(commandForKey(press('End'), false)).toBe('go-end');
    expect(commandForKey(press('Escape'), false)).toBe('clear-selection');
    // Not while typing (arrows move the caret, a slider's arrows change its value), nor modified.
    expect(commandForKey(press('ArrowLeft'), true)).toBeNull();
    expect(commandForKey(press('l', { ctrlKey: true }), false)).toBeNull();
    expect(commandForKey(press('o', { ctrlKey: true }), false)).toBeNull();
  });
});
