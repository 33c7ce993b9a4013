import { randomBytes } from 'node:crypto';
import { promises as fsp, openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** Temp name in the same folder, so the final rename never crosses file systems. */
export function tempPathFor(finalPath: string): string {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
}

/**
 * Write a file so that readers see either the old content or the complete new one, never a
 * half-written file: write to a temp file, fsync it, rename over the target.
 */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(finalPath);
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, finalPath);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous variant for small files written from synchronous code paths. */
export function writeFileAtomicSync(finalPath: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(finalPath);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, finalPath);
}

/**
 * Open a temp file for streaming writes (large WAVs); call commit() to fsync and rename it into
 * place, or abort() to remove it. Until commit() the final path is untouched.
 */
export async function createAtomicWriter(finalPath: string): Promise<{
  handle: fsp.FileHandle;
  tempPath: string;
  commit: () => Promise<void>;
  abort: () => Promise<void>;
}> {
  const tempPath = tempPathFor(finalPath);
  const handle = await fsp.open(tempPath, 'w');
  let done = false;
  return {
    handle,
    tempPath,
    async commit() {
      if (done) return;
      done = true;
      await handle.sync();
      await handle.close();
      await fsp.rename(tempPath, finalPath);
    },
    async abort() {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      await fsp.rm(tempPath, { force: true });
    },
  };
}
