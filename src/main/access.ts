/**
 * Which files the renderer may name. A path from the renderer is only a suggestion: main resolves
 * symlinks, requires a regular file with a media extension inside an allowed root, and only then
 * hands it to the engine. Files picked in a native dialog (main-side) skip the root check.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../shared/errors';
import { isInside } from './engine/fs/paths';
import { MEDIA_EXTENSIONS, type FileEntry, type FileListing } from '../shared/contract';

export interface AccessPolicy {
  /** Absolute, real (symlink-free) folders the renderer may browse and open media from. */
  readonly roots: readonly string[];
}

const MEDIA_EXT = new Set<string>(MEDIA_EXTENSIONS);
const MAX_LISTING = 2000;

export function isMediaFileName(name: string): boolean {
  return MEDIA_EXT.has(path.extname(name).slice(1).toLowerCase());
}

/** Home, the usual removable-media mounts, and any folders in STEMSIGHT_MEDIA_ROOTS (path-delimited). */
export async function defaultPolicy(env: NodeJS.ProcessEnv = process.env): Promise<AccessPolicy> {
  const candidates = [os.homedir()];
  if (process.platform === 'linux') candidates.push('/media', '/mnt', '/run/media');
  if (process.platform === 'darwin') candidates.push('/Volumes');
  const extra = (env.STEMSIGHT_MEDIA_ROOTS ?? '').split(path.delimiter).filter(Boolean);
  return policyFromRoots([...extra, ...candidates]);
}

export async function policyFromRoots(candidates: string[]): Promise<AccessPolicy> {
  const roots: string[] = [];
  for (const c of candidates) {
    if (!path.isAbsolute(c)) continue;
    try {
      const real = await fsp.realpath(c);
      if ((await fsp.stat(real)).isDirectory() && !roots.includes(real)) roots.push(real);
    } catch {
      // a root that does not exist on this machine is simply not offered
    }
  }
  return { roots };
}

function rootOf(policy: AccessPolicy, real: string): string | undefined {
  return policy.roots.find((r) => isInside(real, r));
}

/** Resolve a renderer-supplied path to a real media file inside the policy, or throw AppError. */
export async function resolveMediaPath(policy: AccessPolicy, input: string, checkRoots = true): Promise<string> {
  if (!path.isAbsolute(input)) throw new AppError('bad_request', 'Give the full path of the media file.');
  let real: string;
  try {
    real = await fsp.realpath(path.resolve(input));
  } catch {
    throw new AppError('not_found', `No file at ${input}.`);
  }
  if (checkRoots && !rootOf(policy, real)) {
    throw new AppError('forbidden', 'That file is outside the folders Stemsight may open (see STEMSIGHT_MEDIA_ROOTS).');
  }
  const st = await fsp.stat(real);
  if (!st.isFile()) throw new AppError('bad_request', `${path.basename(real)} is not a file.`);
  if (!isMediaFileName(real)) {
    throw new AppError('bad_request', `${path.basename(real)} is not a media file Stemsight can open (video or audio).`);
  }
  return real;
}

/** List a folder (or the roots) for the browser UI's file picker: folders and media files only. */
export async function listFolder(policy: AccessPolicy, dir: string | undefined): Promise<FileListing> {
  if (dir === undefined) {
    return {
      dir: null,
      parent: null,
      entries: policy.roots.map((r) => ({ name: r, path: r, kind: 'dir' as const })),
    };
  }
  if (!path.isAbsolute(dir)) throw new AppError('bad_request', 'Give the full path of the folder.');
  let real: string;
  try {
    real = await fsp.realpath(path.resolve(dir));
  } catch {
    throw new AppError('not_found', `No folder at ${dir}.`);
  }
  const root = rootOf(policy, real);
  if (!root) throw new AppError('forbidden', 'That folder is outside the folders Stemsight may open.');
  let dirents;
  try {
    dirents = await fsp.readdir(real, { withFileTypes: true });
  } catch {
    throw new AppError('forbidden', `Cannot read ${real}.`);
  }
  const entries: FileEntry[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue; // hidden files and our own temp files
    const full = path.join(real, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      try {
        const st = await fsp.stat(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue;
      }
    }
    if (isDir) entries.push({ name: d.name, path: full, kind: 'dir' });
    else if (isFile && isMediaFileName(d.name)) entries.push({ name: d.name, path: full, kind: 'media' });
    if (entries.length >= MAX_LISTING) break;
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  return { dir: real, parent: real === root ? null : path.dirname(real), entries };
}

/**
 * Resolve a folder to export into. From the browser (checkRoots) it must be an existing folder
 * inside the allowed roots; a folder picked in main's own dialog skips the root check.
 */
export async function resolveFolder(policy: AccessPolicy, input: string, checkRoots = true): Promise<string> {
  if (!path.isAbsolute(input)) throw new AppError('bad_request', 'Give the full path of the export folder.');
  let real: string;
  try {
    real = await fsp.realpath(path.resolve(input));
  } catch {
    throw new AppError('not_found', `There is no folder at ${input}; create it or choose another.`);
  }
  if (!(await fsp.stat(real)).isDirectory()) throw new AppError('bad_request', `${input} is not a folder.`);
  if (checkRoots && !rootOf(policy, real)) {
    throw new AppError('forbidden', 'That folder is outside the folders Stemsight may write to (see STEMSIGHT_MEDIA_ROOTS).');
  }
  return real;
}
