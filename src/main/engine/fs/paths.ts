import path from 'node:path';

/** True when `child` is `root` or lies below it (both absolute, already resolved). */
export function isInside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
