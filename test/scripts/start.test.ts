import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm start` runs the app or the web server as a child and must end with its status: a server
// killed by a signal (out of memory, a crash in native code) is a failure, never exit 0.
const root = path.resolve(__dirname, '..', '..');
const runChild = pathToFileURL(path.join(root, 'scripts', 'run-child.mjs')).href;

function parentOf(childCode: string) {
  const parent = `import(${JSON.stringify(runChild)}).then((m) => m.runChild(process.execPath, ['-e', ${JSON.stringify(childCode)}]))`;
  return spawnSync(process.execPath, ['-e', parent], { encoding: 'utf8' });
}

describe('npm start', () => {
  it('exits non-zero when its child dies from a signal, and says so', () => {
    const r = parentOf("process.kill(process.pid, 'SIGKILL')");
    expect(r.status).toBe(128 + 9);
    expect(r.stderr).toMatch(/killed by SIGKILL/);
    expect(parentOf("process.kill(process.pid, 'SIGSEGV')").status).toBe(128 + 11);
  });

  it("passes the child's own exit code on", () => {
    expect(parentOf('process.exit(3)').status).toBe(3);
    expect(parentOf('process.exit(0)').status).toBe(0);
  });

  it('start.mjs runs its children through run-child.mjs', () => {
    const start = readFileSync(path.join(root, 'scripts', 'start.mjs'), 'utf8');
    expect(start).toMatch(/from '\.\/run-child\.mjs'/);
    expect(start).not.toMatch(/process\.exit\(signal \?/);
  });
});
