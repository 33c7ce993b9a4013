import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, imports as importsOf, reachable, rel as relPath, sourceFiles } from './import-graph';

// The layering rule of docs/architecture.md, checked: only the Electron shell (src/main/app), the
// IPC transport and the preload may import electron; the renderer never reaches Node or main, and
// talks to main only through its client.
const root = path.resolve(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.(ts|svelte|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
const imports = (p: string) => [...readFileSync(p, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);

describe('layers', () => {
  it('keeps electron out of the engine, the API, the web transport and the renderer', () => {
    const allowed = /^src\/(main\/app\/|main\/transport\/ipc\.ts$|main\/index\.ts$|preload\/)/;
    const offenders = files(path.join(root, 'src'))
      .filter((f) => !allowed.test(rel(f)))
      .filter((f) => imports(f).some((m) => m === 'electron' || m.startsWith('electron/')))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('keeps the renderer away from Node built-ins and main-process code', () => {
    const offenders: string[] = [];
    for (const f of files(path.join(root, 'src', 'renderer'))) {
      if (rel(f) === 'src/renderer/vite.config.ts') continue; // build config, runs in Node
      for (const m of imports(f)) {
        const resolved = m.startsWith('.') ? rel(path.resolve(path.dirname(f), m)) : m;
        if (m.startsWith('node:') || /^(fs|path|os|child_process|worker_threads)$/.test(m) || resolved.startsWith('src/main/')) {
          offenders.push(`${rel(f)} -> ${m}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lets the renderer reach main only through lib/client.ts', () => {
    // The transports (preload bridge, HTTP, WebSocket) are chosen and spoken in one file, so the
    // rest of the renderer cannot bypass the contract or a transport's checks.
    const door = 'src/renderer/src/lib/client.ts';
    const transport = /\bfetch\s*\(|\bWebSocket\b|\bXMLHttpRequest\b|\bEventSource\b|\bsendBeacon\b|\bwindow\.stemsight\b|\bipcRenderer\b/;
    const offenders = files(path.join(root, 'src', 'renderer', 'src'))
      .filter((f) => rel(f) !== door)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line: line.replace(/\/\/.*$|^\s*\*.*$/, ''), at: `${rel(f)}:${i + 1}` }))
          .filter((l) => transport.test(l.line))
          .map((l) => l.at),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps the preload free of logic libraries: only electron and the channel list', () => {
    for (const f of files(path.join(root, 'src', 'preload'))) {
      expect(imports(f).filter((m) => m !== 'electron' && !m.endsWith('shared/channels'))).toEqual([]);
    }
  });

  const engineDir = path.join(root, 'src', 'main', 'engine');
  const engineFiles = sourceFiles(engineDir);

  it('keeps the engine plain Node: no electron, and nothing from main, the preload or the renderer', () => {
    const offenders: string[] = [];
    for (const f of engineFiles) {
      for (const r of importsOf(f, { types: true })) {
        const outside = r.file !== null && !relPath(r.file).startsWith('src/main/engine/') && !relPath(r.file).startsWith('src/shared/');
        if (outside || r.specifier === 'electron' || r.specifier.startsWith('electron/')) offenders.push(`${relPath(f)} -> ${r.specifier}`);
      }
    }
    expect(engineFiles.length).toBeGreaterThan(50);
    expect(offenders).toEqual([]);
  });

  it('has no import circles between engine files', () => {
    expect(findCycles(engineFiles)).toEqual([]);
  });

  it('defines errors in one scheme: only src/shared/errors.ts extends Error, and nothing matches errors by name', () => {
    // Every other error class extends AppError (a code, a user message, a detail), so the API, the
    // job and stream workers and the CLI report it without knowing it (docs/architecture.md).
    const home = 'src/shared/errors.ts';
    const ownError = /\bclass\s+\w+\s+extends\s+(Error|TypeError|RangeError)\b/;
    const byName = /\.name\s*[!=]==?\s*['"]\w*(Error|Cancel\w*)['"]/;
    const offenders = files(path.join(root, 'src'))
      .filter((f) => rel(f) !== home)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${rel(f)}:${i + 1}` }))
          .filter((l) => ownError.test(l.line) || byName.test(l.line))
          .map((l) => l.at),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps the database out of worker threads: no worker module reaches SQLite', () => {
    // Inside Electron a worker would load the Node build of better_sqlite3 (the Electron build is
    // passed as nativeBinding on the main thread only); the main thread is the only writer.
    const workers = engineFiles.filter((f) => /export default defineJob|\bparentPort\b/.test(readFileSync(f, 'utf8')) && !/jobs\/define\.ts$/.test(f));
    expect(workers.map(relPath)).toEqual(
      expect.arrayContaining(['src/main/engine/jobs/worker-entry.ts', 'src/main/engine/analysis/job.ts', 'src/main/engine/separation/job.ts', 'src/main/engine/export/job.ts']),
    );
    const offenders: string[] = [];
    for (const w of workers) {
      for (const [target, chain] of reachable(w)) {
        if (target === 'better-sqlite3' || relPath(target) === 'src/main/engine/project/db.ts') offenders.push(chain.join(' -> '));
      }
    }
    expect(offenders).toEqual([]);
  });
});
