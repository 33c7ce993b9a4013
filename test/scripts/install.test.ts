/**
 * The install is quiet and offline-safe: npm reads no config it does not know (a newcomer's first
 * sight of the project was a warning on every npm command), and onnxruntime-node's own install
 * script, which would download the CUDA provider from nuget.org and fail the install without
 * internet, is denied; scripts/postinstall.mjs fetches that provider only where a GPU is present.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = (...args: string[]) => spawnSync('npm', args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: '' } });

describe('npm install setup', () => {
  it('npm commands print no warning about the project config', () => {
    const r = npm('pkg', 'get', 'name');
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|global) config/);
  });

  it("onnxruntime-node's install script does not run (no download at install time)", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    // Running it here would try nuget.org, which this test machine cannot reach: the rebuild fails
    // if npm does not skip it. Denied, npm runs nothing (and writes nothing) for the package.
    const r = npm('rebuild', 'onnxruntime-node');
    expect(r.stderr).not.toMatch(/nuget|ENOTFOUND|EAI_AGAIN/);
    expect(r.status).toBe(0);
    // Every other install script is reviewed, so npm lists none as pending.
    expect(r.stderr).not.toMatch(/not yet covered by allowScripts/);
  });

  it('lists every dependency with an install script (on any platform) in allowScripts', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([key, p]) => key && p.hasInstallScript)
      .map(([key]) => key.replace(/^.*node_modules\//, ''));
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });
});
