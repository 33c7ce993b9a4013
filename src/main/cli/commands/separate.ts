import path from 'node:path';
import { UsageError } from '../args';
import { MAX_SOURCES, WAV_FORMATS } from '../../../shared/mixer';
import type { CliIO, Command } from '../command';
import { JobRunner } from '../../engine/jobs';
import { probeMedia, requireAudio, requireVideo } from '../../engine/media/probe';
import type { Click } from '../../engine/separation/features';
import type { Manifest, SeparationJobParams } from '../../engine/separation/job';

/** Run one engine job in a worker thread, with progress on a TTY and Ctrl-C cancelling it. */
export async function runJob<R>(kind: 'separation' | 'analysis', params: unknown, io: CliIO): Promise<R> {
  const module = new URL(kind === 'separation' ? '../../engine/separation/job' : '../../engine/analysis/job', import.meta.url);
  const ext = /\.ts$/.test(new URL(import.meta.url).pathname) ? '.ts' : '.js';
  const runner = new JobRunner({ progressIntervalMs: 200 });
  runner.register(kind, new URL(module.href + ext), { label: kind === 'separation' ? 'Separation' : 'Analysis' });
  const tty = Boolean(io.stderr.isTTY);
  let shown = false;
  const off = runner.on('progress', (p) => {
    if (!tty) return;
    const eta = p.etaSec !== null && Number.isFinite(p.etaSec) ? `, about ${Math.ceil(p.etaSec)} s left` : '';
    io.stderr.write(`\r\x1b[K${p.stage} ${(100 * p.fraction).toFixed(0)}%${eta}`);
    shown = true;
  });
  const id = runner.start(kind, params);
  const onSigint = () => runner.cancel(id);
  process.once('SIGINT', onSigint);
  try {
    const snap = await runner.wait(id);
    if (shown) io.stderr.write('\r\x1b[K');
    if (snap.state === 'cancelled') throw new UsageError('cancelled');
    if (snap.state !== 'done') throw new CliJobError(snap.errorMessage ?? `${kind} failed`);
    return snap.result as R;
  } finally {
    process.off('SIGINT', onSigint);
    off();
    await runner.dispose();
  }
}

/** A job's one-line failure, printed as is. */
export class CliJobError extends Error {
  override name = 'CliJobError';
}

export function parseSource(value: string): { x: number; y: number } {
  const m = /^\s*([^,\s]+)\s*,\s*([^,\s]+)\s*$/.exec(value);
  const x = m ? Number(m[1]) : NaN, y = m ? Number(m[2]) : NaN;
  if (!(Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
    throw new UsageError(`--source '${value}' must be X,Y with both numbers in 0..1 from the top-left of the frame (e.g. --source 0.25,0.5)`);
  }
  return { x, y };
}

export function pick<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${String(value)}')`);
  return value as T;
}

export const command: Command = {
  name: 'separate',
  summary: 'Separate the sounds of clicked objects into stems (source-N.wav, residual.wav, manifest.json)',
  usage: `separate <media> --source X,Y [--source X,Y ...] [--at SECONDS] --out DIR [--format ${WAV_FORMATS.join('|')}] [--device cpu|cuda] [--mask soft|binary]`,
  options: {
    source: { kind: 'repeat', value: 'X,Y', help: 'a sounding object: position in 0..1 from the top-left of the frame (repeat for more)' },
    at: { kind: 'string', value: 'SECONDS', help: 'time of the frame the positions refer to (default 0)' },
    out: { kind: 'string', value: 'DIR', help: 'folder for the stems and manifest.json' },
    format: { kind: 'string', value: 'FORMAT', help: `${WAV_FORMATS[0]} (default), ${WAV_FORMATS.slice(1).join(' or ')}` },
    device: { kind: 'string', value: 'DEVICE', help: 'cpu or cuda (default: cuda when available, else cpu)' },
    mask: { kind: 'string', value: 'MASK', help: 'soft (default) or binary time-frequency masks' },
  },
  details: [
    'Writes DIR/source-1.wav ... DIR/source-N.wav and DIR/residual.wav (everything not selected) at the',
    "media's sample rate, channels and length; together they sum back to the original sound. DIR/manifest.json",
    'records the model, device, parameters, timings and each source\'s activity over time. The first run on',
    'a file analyses it (cached); later runs on the same file start at once.',
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('separate takes exactly one media file (see stemsight separate --help)');
    const sources = (options.source as string[]).map(parseSource);
    if (sources.length === 0) throw new UsageError('give at least one --source X,Y (the position of a sounding object, 0..1 from the top-left)');
    if (sources.length > MAX_SOURCES) throw new UsageError(`at most ${MAX_SOURCES} --source positions at once`);
    if (typeof options.out !== 'string' || !options.out) throw new UsageError('--out DIR is required (the folder for the stems)');
    const at = options.at === undefined ? 0 : Number(options.at);
    if (!(Number.isFinite(at) && at >= 0)) throw new UsageError(`--at must be a number of seconds >= 0 (got '${String(options.at)}')`);
    const format = pick('format', options.format, WAV_FORMATS, WAV_FORMATS[0]);
    const device = pick('device', options.device, ['cpu', 'cuda'] as const, 'cuda');
    const mask = pick('mask', options.mask, ['soft', 'binary'] as const, 'soft');
    const media = path.resolve(positionals[0]);
    // Fail fast (and in one line) on unusable media before starting a worker.
    const info = await probeMedia(media);
    requireAudio(info);
    requireVideo(info);
    if (at > info.durationSec + 1e-6) throw new UsageError(`--at ${at} is past the end of the media (${info.durationSec.toFixed(2)} s)`);
    const clicks: Click[] = sources.map((s) => ({ ...s, timeSec: at }));
    const params: SeparationJobParams = { media, sources: clicks, outDir: path.resolve(options.out), format, mask, device: options.device === undefined ? 'auto' : device };
    const manifest = await runJob<Manifest>('separation', params, io);
    if (manifest.device.notice) io.stderr.write(`stemsight: note: ${manifest.device.notice}\n`);
    for (const c of manifest.stems.clipped) {
      io.stderr.write(
        `stemsight: note: ${c.samples} samples of ${c.file} went beyond full scale and were clipped in ${format}, so the stems no longer sum exactly to the original; use --format f32 to keep them whole\n`,
      );
    }
    if (io.stdout.isTTY) {
      io.stdout.write(`wrote ${manifest.stems.sources.length + 1} stems to ${params.outDir} (${manifest.stems.sampleRate} Hz, ${manifest.stems.channels} ch) in ${manifest.timings.totalSec.toFixed(1)} s on ${manifest.device.provider}\n`);
    }
    return 0;
  },
};
