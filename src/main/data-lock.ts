/**
 * One Stemsight per data folder. A second process on the same folder would treat the first one's
 * running jobs as left over from a crash (and mark them interrupted) and race it on the same stem
 * folders, so the data folder holds a lock file with the owner's pid, created exclusively. A lock
 * whose process is gone (a crash, a kill) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors';
import { processAlive } from './engine/fs/sweep';

export const LOCK_FILE = 'stemsight.lock';

export class DataFolderInUseError extends AppError {
  override name = 'DataFolderInUseError';
  constructor(message: string) {
    super('io_error', message);
  }
}

/** Take the data folder's lock or throw DataFolderInUseError; returns the release function. */
export function lockDataFolder(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      // An empty file is a lock being taken this instant by another process.
      const starting = !Number.isInteger(owner) && Date.now() - statSync(file).mtimeMs < 5000;
      if (starting || (Number.isInteger(owner) && owner > 0 && processAlive(owner))) {
        throw new DataFolderInUseError(
          `Stemsight is already running with the data folder ${dataDir} (process ${Number.isInteger(owner) ? owner : 'starting'}). Use that window, or close it first.`,
        );
      }
      unlinkSync(file); // left by a process that is gone
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
      } catch {
        // already gone
      }
    };
  }
  throw new DataFolderInUseError(`Could not lock the data folder ${dataDir}; another Stemsight keeps starting there.`);
}
