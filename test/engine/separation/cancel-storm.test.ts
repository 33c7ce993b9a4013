import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';

// Cancelling (or failing) a separation must never take the process down: terminating a worker
// while ONNX Runtime is inside a run aborts the whole process. The storm runs in a child process
// so an abort shows as its exit status instead of killing the test runner.

const tsx = createRequire(import.meta.url).resolve('tsx');
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cancel-storm.ts');
let dir: string, clip: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-storm-'));
  clip = path.join(dir, 'clip.mp4');
  // 16 s: several model windows, so a cancel lands while the mask worker is inside a run.
  execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=16',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=16', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function storm(rounds: number, seed: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script, clip, path.join(dir, 'cache'), path.join(dir, `out-${seed}`), String(rounds), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('cancel storm', () => {
  it('separations started and cancelled over and over (also mid-run) never abort the process; the last one completes', async () => {
    const r = await storm(7, 7);
    expect(r.stderr).not.toMatch(/terminate called|Napi::Error/);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('round'))).toHaveLength(6);
    expect(lines.at(-1)).toBe('final done');
  }, 600_000);
});
