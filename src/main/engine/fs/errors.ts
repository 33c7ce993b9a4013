/** File-system failures every job explains the same way. */

export const DISK_FULL_MESSAGE = 'The disk is full; free some space (or write to another drive) and run it again.';

/** True for "no space left" and "quota exceeded" errors. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
