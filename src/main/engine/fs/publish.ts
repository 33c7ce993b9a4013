import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic';

/**
 * Publishing a folder of outputs (stems, an export) written into a staging folder. The folder's
 * marker file (a manifest) names the files of the output and is what makes it complete:
 *
 * - a new folder appears in one rename, marker included;
 * - over an existing output, the old marker goes first (a kill from here on leaves a folder
 *   without a marker, never one that looks complete), then the new files move in, the files the
 *   old marker listed that the new output does not have are deleted, and the new marker comes last.
 *
 * Files the old marker did not list (the user's own) are left alone.
 */
export async function publishStaged(opts: {
  staging: string;
  target: string;
  files: string[];
  marker: { name: string; content: string };
  /** Files of the output being replaced (from its marker). */
  previous: readonly unknown[];
}): Promise<void> {
  const { staging, target, files, marker } = opts;
  const existing = await fsp.lstat(target).catch(() => null);
  if (!existing) {
    await fsp.writeFile(path.join(staging, marker.name), marker.content);
    await fsp.rename(staging, target);
    return;
  }
  await fsp.rm(path.join(target, marker.name), { force: true });
  for (const f of files) await fsp.rename(path.join(staging, f), path.join(target, f));
  for (const f of opts.previous) {
    // Only plain names, never a path out of the folder or a hidden file.
    if (typeof f === 'string' && f === path.basename(f) && !f.startsWith('.') && f !== marker.name && !files.includes(f)) {
      await fsp.rm(path.join(target, f), { force: true });
    }
  }
  await writeFileAtomic(path.join(target, marker.name), marker.content);
  await fsp.rm(staging, { recursive: true, force: true });
}
