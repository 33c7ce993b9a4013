import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * File and folder names of an export. Names come from user text (project and source names), so
 * they are reduced to characters every filesystem accepts, and never contain a path separator.
 */

const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

export function safeName(text: string, fallback = 'untitled'): string {
  const cleaned = text
    .normalize('NFC')
    .replace(/[\u0000-\u001f<>:"/\\|?*\u007f]+/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 100);
  if (!cleaned || RESERVED.test(cleaned)) return fallback;
  return cleaned;
}

export interface NameFields {
  index: number;
  /** Digits to pad the index to (so 10 stems sort as 01..10). */
  indexWidth?: number;
  project: string;
  stem: string;
}

/** Expand a naming template ({index}, {project}, {stem}); unknown fields are left as typed. */
export function expandTemplate(template: string, f: NameFields): string {
  const index = String(f.index).padStart(f.indexWidth ?? 2, '0');
  const out = template.replace(/\{(index|project|stem)\}/g, (_m, key: string) =>
    key === 'index' ? index : key === 'project' ? safeName(f.project) : safeName(f.stem),
  );
  return safeName(out, `${index}_${safeName(f.stem)}`);
}

/** Distinct file names for a list of stems: a clash gets " (2)", " (3)"... */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const key = n.toLowerCase();
    const k = (seen.get(key) ?? 0) + 1;
    seen.set(key, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

export function exportFolderName(project: string): string {
  return `${safeName(project)} export`;
}

/**
 * Where an export goes: parent/<name>. When that folder exists, 'ask' reports a conflict (the UI
 * asks the user), 'replace' reuses it (the files of the previous export are replaced), 'new' picks
 * the first free "<name> 2", "<name> 3"... A file or a link at parent/<name> is never replaced:
 * `problem` then says what is in the way.
 */
export async function planExportFolder(
  parent: string,
  name: string,
  ifExists: 'ask' | 'replace' | 'new',
): Promise<{ folder: string; conflict: boolean; problem?: string }> {
  const lstat = (p: string) => fsp.lstat(p).catch(() => null);
  const first = path.join(parent, name);
  const existing = await lstat(first);
  if (!existing) return { folder: first, conflict: false };
  if (ifExists === 'ask') return { folder: first, conflict: true };
  if (ifExists === 'replace') {
    const problem = existing.isSymbolicLink()
      ? `"${name}" in that folder is a link to somewhere else; Stemsight does not export through links. Remove the link or choose "new".`
      : !existing.isDirectory()
        ? `There is a file named "${name}" where the export folder would go; rename it or choose "new".`
        : undefined;
    return { folder: first, conflict: false, ...(problem ? { problem } : {}) };
  }
  for (let n = 2; n < 10000; n++) {
    const p = path.join(parent, `${name} ${n}`);
    if (!(await lstat(p))) return { folder: p, conflict: false };
  }
  throw new Error('too many export folders');
}
