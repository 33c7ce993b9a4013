import { Cancelled } from '../../../shared/errors';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { locateTool, type Tool } from './binaries';
import { MediaError } from './errors';

/** Running ffmpeg/ffprobe: buffered for small outputs, streamed (with back-pressure) for decoding. */

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const MAX_STDERR = 64 * 1024;

/** Input path for ffmpeg's -i: the file: protocol so names like "-x" or "http:y" stay plain files. */
export function inputArg(file: string): string {
  return `file:${path.resolve(file)}`;
}

export function runTool(tool: Tool, args: string[], opts: { signal?: AbortSignal } = {}): Promise<RunResult> {
  const exe = locateTool(tool).path;
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < MAX_STDERR) err += b.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) reject(new Cancelled());
      else reject(new MediaError('FFMPEG_MISSING', `cannot run ${tool} at ${exe} (${e.code ?? e.message})`));
    });
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** Last meaningful line of ffmpeg's stderr, for error messages. */
export function lastLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/**
 * Spawn `tool` and yield its stdout in blocks of exactly `blockBytes` (the last may be shorter).
 * Reading is pull-based, so ffmpeg blocks on the pipe instead of filling memory. Breaking out of
 * the loop or aborting kills the process. A non-zero exit becomes the error from `onFailure`.
 */
export async function* streamTool(
  tool: Tool,
  args: string[],
  opts: { blockBytes: number; signal?: AbortSignal; onFailure: (stderr: string) => Error },
): AsyncGenerator<Buffer> {
  const exe = locateTool(tool).path;
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += b.toString('utf8');
  });
  let spawnError: NodeJS.ErrnoException | null = null;
  child.on('error', (e) => (spawnError = e));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const onAbort = () => child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const { blockBytes } = opts;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    const block = all.subarray(0, n);
    const rest = all.subarray(n);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return block;
  };
  let finished = false;
  try {
    for await (const data of child.stdout as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) break;
      pending.push(data);
      pendingBytes += data.length;
      while (pendingBytes >= blockBytes) yield take(blockBytes);
    }
    if (opts.signal?.aborted) throw new Cancelled();
    const code = await exited;
    if (spawnError) throw new MediaError('FFMPEG_MISSING', `cannot run ${tool} at ${exe} (${(spawnError as NodeJS.ErrnoException).code})`);
    if (code !== 0) throw opts.onFailure(stderr);
    if (pendingBytes > 0) yield take(pendingBytes);
    finished = true;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!finished && child.exitCode === null) child.kill('SIGKILL');
  }
}
