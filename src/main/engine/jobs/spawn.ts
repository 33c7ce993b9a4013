import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Starting worker threads, from source (TypeScript through tsx) or from the built app alike. */

const TS_FILE = /\.[cm]?tsx?$/;
const isTs = (url: URL) => url.protocol === 'file:' && TS_FILE.test(url.pathname);

/** URL of the module `name` beside `base` (an import.meta.url): `name`.ts in source, `name`.js when built. */
export function siblingModule(name: string, base: string): URL {
  // The file name is computed (not a literal) so bundlers leave this URL alone.
  return new URL(`./${name}.${isTs(new URL(base)) ? 'ts' : 'js'}`, base);
}

/**
 * How a worker must be started: directly for built .js, or through a tiny bootstrap that registers
 * tsx's loader first when the entry or the job module is TypeScript (vitest, the CLI from source).
 * Node's --import in a worker's execArgv does not install loader hooks for the worker's own entry,
 * so registering from inside the worker is the reliable way.
 */
export function workerSpec(entry: URL, module: URL): { url: URL; viaTsx: boolean } {
  if (!isTs(entry) && !isTs(module)) return { url: entry, viaTsx: false };
  const tsxApi = tsxEsmApi();
  const boot = `const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry.href)});`;
  return { url: new URL(`data:text/javascript,${encodeURIComponent(boot)}`), viaTsx: true };
}

let tsxApiUrl: string | undefined;
/** file: URL of tsx's ESM register API (its require() build resolves its loader wrongly in a worker). */
function tsxEsmApi(): string {
  if (tsxApiUrl) return tsxApiUrl;
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const target = pkg.exports['./esm/api']?.import?.default;
  if (!target) throw new Error('tsx does not export ./esm/api; cannot run TypeScript job modules');
  return (tsxApiUrl = pathToFileURL(path.join(path.dirname(pkgPath), target)).href);
}
