import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering rule of docs/architecture.md, checked: only the Electron shell (src/main/app), the
// IPC transport and the preload may import electron; the renderer never reaches Node or main.
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

  it('keeps the preload free of logic libraries: only electron and the channel list', () => {
    for (const f of files(path.join(root, 'src', 'preload'))) {
      expect(imports(f).filter((m) => m !== 'electron' && !m.endsWith('shared/channels'))).toEqual([]);
    }
  });
});
