/**
 * The editor's keyboard map. Keys name the same commands as the native menu (`menu.command`), so
 * the project screen runs both through one function.
 */

export const EDITOR_COMMANDS = ['play-pause', 'undo', 'redo', 'export', 'mute', 'solo', 'remove-source'] as const;
/** Commands the native menu also has. */
type MenuEditorCommand = (typeof EDITOR_COMMANDS)[number];
export type EditorCommand = MenuEditorCommand | TransportCommand;

/** A native menu command the project screen runs (the others, like open-media, are the app's). */
export function isEditorCommand(command: string): command is MenuEditorCommand {
  return (EDITOR_COMMANDS as readonly string[]).includes(command);
}

/**
 * Transport keys as in most editors: J/K/L shuttle (back, stop, forward; J and L again go faster),
 * arrows step a frame (Shift: a second), Home/End, I/O mark the selection, Esc clears it.
 */
export type TransportCommand =
  | 'shuttle-back'
  | 'shuttle-stop'
  | 'shuttle-forward'
  | 'frame-back'
  | 'frame-forward'
  | 'second-back'
  | 'second-forward'
  | 'go-start'
  | 'go-end'
  | 'mark-in'
  | 'mark-out'
  | 'clear-selection';

const LETTERS: Record<string, TransportCommand> = { j: 'shuttle-back', k: 'shuttle-stop', l: 'shuttle-forward', i: 'mark-in', o: 'mark-out' };

export interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  repeat: boolean;
}

/** Focus is in a text field, where letters and Space type rather than command. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return Boolean(el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable));
}

/** The command a key press means, or null. While typing only Ctrl/Cmd+E (export) applies. */
export function commandForKey(e: KeyPress, typing: boolean): EditorCommand | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'e') return 'export';
  if (typing) return null;
  if (mod && ((key === 'z' && e.shiftKey) || key === 'y')) return 'redo';
  if (mod && key === 'z') return 'undo';
  if (e.code === 'Space' && !mod && !e.altKey && !e.repeat) return 'play-pause';
  if (!mod && !e.altKey && key === 'm') return 'mute';
  if (!mod && !e.altKey && key === 's') return 'solo';
  if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) return 'remove-source';
  if (mod || e.altKey) return null;
  if (!e.shiftKey && LETTERS[key]) return LETTERS[key];
  if (e.key === 'ArrowLeft') return e.shiftKey ? 'second-back' : 'frame-back';
  if (e.key === 'ArrowRight') return e.shiftKey ? 'second-forward' : 'frame-forward';
  if (e.key === 'Home') return 'go-start';
  if (e.key === 'End') return 'go-end';
  if (e.key === 'Escape') return 'clear-selection';
  return null;
}
