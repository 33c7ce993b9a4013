/**
 * The editor's keyboard map. Keys name the same commands as the native menu (`menu.command`), so
 * the project screen runs both through one function.
 */

export const EDITOR_COMMANDS = ['play-pause', 'undo', 'redo', 'export', 'mute', 'solo', 'remove-source'] as const;
export type EditorCommand = (typeof EDITOR_COMMANDS)[number];

/** A native menu command the project screen runs (the others, like open-media, are the app's). */
export function isEditorCommand(command: string): command is EditorCommand {
  return (EDITOR_COMMANDS as readonly string[]).includes(command);
}

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
  return null;
}
