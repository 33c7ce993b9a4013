import { UsageError } from '../args';
import { printJson, type Command } from '../command';
import { defaultCacheRoot, listAnalysisCaches, pruneAnalysisCaches } from '../../engine/analysis/cache';
import { sweepOrphanTemps } from '../../engine/fs/sweep';

export const command: Command = {
  name: 'cache',
  summary: 'Show the size of the analysis cache, or shrink or clear it',
  usage: 'cache [--max-mb N | --clear] [--dir DIR]',
  options: {
    'max-mb': { kind: 'string', value: 'N', help: 'remove the least recently used analyses until the cache holds at most N MB' },
    clear: { kind: 'boolean', help: 'remove every analysis (they are computed again when needed)' },
    dir: { kind: 'string', value: 'DIR', help: 'the cache folder (default: STEMSIGHT_CACHE_DIR, else ~/.cache/stemsight/analyses)' },
  },
  details: [
    'Output: {"dir","analyses","bytes","removed","freedBytes"} as JSON. Unfinished analyses left by a',
    'process that is gone are always removed. The desktop and browser apps keep their own cache in',
    'their data folder (pass it with --dir) and trim it to STEMSIGHT_CACHE_LIMIT_MB at start-up.',
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length !== 0) throw new UsageError('cache takes no file names (see stemsight cache --help)');
    if (options.clear && options['max-mb'] !== undefined) throw new UsageError('give either --clear or --max-mb, not both');
    let maxBytes = Infinity;
    if (options.clear) maxBytes = 0;
    if (options['max-mb'] !== undefined) {
      const mb = Number(options['max-mb']);
      if (!(Number.isFinite(mb) && mb >= 0)) throw new UsageError(`--max-mb must be a number of megabytes >= 0 (got '${String(options['max-mb'])}')`);
      maxBytes = mb * 1e6;
    }
    const dir = typeof options.dir === 'string' && options.dir ? options.dir : defaultCacheRoot();
    const swept = await sweepOrphanTemps(dir);
    const removed = Number.isFinite(maxBytes) ? await pruneAnalysisCaches(dir, maxBytes) : [];
    const left = await listAnalysisCaches(dir);
    printJson(io, {
      dir,
      analyses: left.length,
      bytes: left.reduce((n, e) => n + e.bytes, 0),
      removed: removed.length + swept.removed.length,
      freedBytes: removed.reduce((n, e) => n + e.bytes, 0) + swept.bytes,
    });
    return 0;
  },
};
