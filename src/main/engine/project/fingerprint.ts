import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { check } from './validate';
import type { MediaFingerprint } from './types';

// No database here: analysis workers fingerprint media too, and workers never open the library.

const EDGE = 1 << 20;

/**
 * Cheap identity of a media file: size, mtime and a sha256 over the size and the first and last
 * MiB. Hashing a whole hour of video on every open would cost seconds; this catches a replaced or
 * re-encoded file, which is what invalidates analyses and stems.
 */
export async function fingerprintFile(file: string): Promise<MediaFingerprint> {
  const handle = await fsp.open(file, 'r');
  try {
    const stat = await handle.stat();
    check(stat.isFile(), `${file} is not a file`);
    const hash = createHash('sha256');
    hash.update(`size:${stat.size}\n`);
    const head = Buffer.alloc(Math.min(EDGE, stat.size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (stat.size > EDGE) {
      const tailLength = Math.min(EDGE, stat.size - EDGE);
      const tail = Buffer.alloc(tailLength);
      await handle.read(tail, 0, tailLength, stat.size - tailLength);
      hash.update(tail);
    }
    return { size: stat.size, mtimeMs: Math.floor(stat.mtimeMs), quickHash: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
