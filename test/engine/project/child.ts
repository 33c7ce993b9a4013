import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const tsx = createRequire(import.meta.url).resolve('tsx');
const here = path.dirname(fileURLToPath(import.meta.url));

export interface ChildRun {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/**
 * Run fixtures/<script> under node + tsx. When killAfter is given, SIGKILL the child that many ms
 * after it prints `trigger` (a line) the first time.
 */
export function runChild(script: string, args: string[], kill?: { trigger: string; afterMs: number }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(here, 'fixtures', script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (kill && !armed && out.split('\n').includes(kill.trigger)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ lines: out.split('\n').filter(Boolean), code, signal, stderr }));
  });
}
