import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * Temp files and folders of unfinished writes ('.partial') are removed by the writer when it fails;
 * a killed process leaves them behind. Every temp name carries its writer's pid (tempPathFor,
 * the analysis cache), so a sweep can tell an orphan (its process is gone) from a write in progress.
 */

const WITH_PID = [/^\..+\.(\d+)\.[0-9a-f]{8}\.partial$/, /^\.partial-(\d+)-/];

/** True while a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for the temp name of a writer that is no longer running. */
export function isOrphanTemp(name: string): boolean {
  for (const re of WITH_PID) {
    const m = re.exec(name);
    if (m) return !processAlive(Number(m[1]));
  }
  return false;
}

async function sizeOf(p: string): Promise<number> {
  const st = await fsp.lstat(p).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of await fsp.readdir(p).catch(() => [])) total += await sizeOf(path.join(p, e));
  return total;
}

/**
 * Remove orphan temp files and folders in `dir` and, down to `depth` levels, its subfolders.
 * Returns what was removed and how many bytes that freed.
 */
export async function sweepOrphanTemps(dir: string, depth = 0): Promise<{ removed: string[]; bytes: number }> {
  const out = { removed: [] as string[], bytes: 0 };
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (isOrphanTemp(e.name)) {
      out.bytes += await sizeOf(full);
      await fsp.rm(full, { recursive: true, force: true });
      out.removed.push(full);
    } else if (depth > 0 && e.isDirectory()) {
      const sub = await sweepOrphanTemps(full, depth - 1);
      out.removed.push(...sub.removed);
      out.bytes += sub.bytes;
    }
  }
  return out;
}
