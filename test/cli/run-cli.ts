import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

/** Runs bin/stemsight.mjs as a user would, and gives back its exit code and output. */

export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'bin/stemsight.mjs');
export const pexec = promisify(execFile);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await pexec(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, STEMSIGHT_DEBUG: '', ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The CLI's error contract: a non-zero exit (not an abort) and one line, prefixed, no stack trace. */
export function expectOneLineError(r: Run, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code, r.stderr).not.toBe(134);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^stemsight: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
