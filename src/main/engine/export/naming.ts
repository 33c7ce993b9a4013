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

/** A file of an export before it is named: its place in the export, what it holds, its extension. */
export interface ExportFileSpec {
  index: number;
  /** A source's name, "residual", "original", "mix"...: the template's {stem}. */
  stem: string;
  /** With the dot: ".wav". */
  ext: string;
}

/**
 * The one naming rule for every file an export writes (stems, Original, mix, video, REAPER
 * project): the template with the file's {index}, {project} and {stem}, then its extension. The
 * index is padded to the widest index of the export (so 01..12 sort), and a name already taken
 * (case-insensitively, as on macOS and Windows) gets " (2)", " (3)"... before its extension.
 */
export function exportFileNames(template: string, project: string, files: readonly ExportFileSpec[]): string[] {
  const indexWidth = Math.max(2, ...files.map((f) => String(f.index).length));
  const taken = new Set<string>();
  return files.map((f) => {
    const base = expandTemplate(template, { index: f.index, indexWidth, project, stem: f.stem });
    let name = base + f.ext;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base} (${k})${f.ext}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** "<project> export", or for a region "<project> 1.00-3.00s export" (its seconds, to 10 ms). */
export function exportFolderName(project: string, range?: { startSec: number; endSec: number } | null): string {
  return range ? `${safeName(project)} ${range.startSec.toFixed(2)}-${range.endSec.toFixed(2)}s export` : `${safeName(project)} export`;
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
