import path from 'node:path';
import { UsageError } from '../args';
import { MAX_SOURCES, WAV_FORMATS } from '../../../shared/mixer';
import { SOURCE_CLASSES, sourceClassOf, unknownClassMessage } from '../../../shared/classes';
import type { CliIO, Command } from '../command';
import { JobRunner } from '../../engine/jobs';
import { probeMedia, requireAudio } from '../../engine/media/probe';
import type { Manifest, SeparationJobParams } from '../../engine/separation/job';
import type { SourceQuery } from '../../engine/separation/query';

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
    return (await runner.result(id)) as R;
  } finally {
    if (shown) io.stderr.write('\r\x1b[K');
    process.off('SIGINT', onSigint);
    off();
    await runner.dispose();
  }
}

const SOURCE_FORMS = 'X,Y (a point, 0..1 from the top-left of the frame), X,Y,CLASS (a point and what it is) or CLASS alone (e.g. --source 0.25,0.5 --source 0.7,0.4,guitar --source speech)';

/** One --source: X,Y | X,Y,CLASS | CLASS. The class is returned as the model names it. */
export function parseSource(value: string): { x?: number; y?: number; className?: string } {
  const fields = value.split(',').map((f) => f.trim());
  const named = (word: string): string => {
    const c = sourceClassOf(word);
    if (!c) throw new UsageError(`--source '${value}': ${unknownClassMessage(word)}`);
    return c;
  };
  if (fields.length === 1 && fields[0] !== '' && !/^[-+.\d]/.test(fields[0])) return { className: named(fields[0]) };
  if (fields.length !== 2 && fields.length !== 3) throw new UsageError(`--source '${value}' must be ${SOURCE_FORMS}`);
  const x = fields[0] === '' ? NaN : Number(fields[0]), y = fields[1] === '' ? NaN : Number(fields[1]);
  if (!(Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
    throw new UsageError(`--source '${value}' must be X,Y with both numbers in 0..1 from the top-left of the frame, optionally followed by ,CLASS (e.g. --source 0.25,0.5 or --source 0.25,0.5,guitar)`);
  }
  if (fields.length === 3) return { x, y, className: named(fields[2]) };
  return { x, y };
}

export function pick<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${String(value)}')`);
  return value as T;
}

export const command: Command = {
  name: 'separate',
  summary: 'Separate the sounds of clicked or named objects into stems (source-N.wav, residual.wav, manifest.json)',
  usage: `separate <media> --source X,Y[,CLASS]|CLASS [--source ...] [--at SECONDS] --out DIR [--format ${WAV_FORMATS.join('|')}] [--device cpu|cuda] [--mask soft|binary]`,
  options: {
    source: {
      kind: 'repeat',
      value: 'X,Y[,CLASS]|CLASS',
      help: 'a sounding object: its position in 0..1 from the top-left of the frame, what it is, or both (repeat for more)',
    },
    at: { kind: 'string', value: 'SECONDS', help: 'time of the frame the positions refer to (default 0)' },
    out: { kind: 'string', value: 'DIR', help: 'folder for the stems and manifest.json' },
    format: { kind: 'string', value: 'FORMAT', help: `${WAV_FORMATS[0]} (default), ${WAV_FORMATS.slice(1).join(' or ')}` },
    device: { kind: 'string', value: 'DEVICE', help: 'cpu or cuda (default: cuda when available, else cpu)' },
    mask: { kind: 'string', value: 'MASK', help: 'soft (default) or binary time-frequency masks' },
  },
  details: [
    `CLASS is one of ${SOURCE_CLASSES.join(', ')} (speech, voice and dialogue mean speaker).`,
    'A source named by CLASS alone needs no picture: audio-only files and sounds off screen work too.',
    'Writes DIR/source-1.wav ... DIR/source-N.wav and DIR/residual.wav (everything not selected) at the',
    "media's sample rate, channels and length; together they sum back to the original sound. DIR/manifest.json",
    "records the model, device, each source's query (point and class), timings, warnings and each clicked",
    "source's activity over time. The first run on a file with a --source point analyses its picture",
    '(cached); later runs on the same file start at once.',
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('separate takes exactly one media file (see stemsight separate --help)');
    const sources = (options.source as string[]).map(parseSource);
    if (sources.length === 0) throw new UsageError(`give at least one --source: ${SOURCE_FORMS}`);
    if (sources.length > MAX_SOURCES) throw new UsageError(`at most ${MAX_SOURCES} --source options at once`);
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
    const queries: SourceQuery[] = sources.map((s) => (s.x === undefined ? { className: s.className } : { ...s, timeSec: at }));
    // Points need a picture; sources named alone do not.
    const point = sources.find((s) => s.x !== undefined);
    if (point && !info.video) {
      throw new UsageError(`--source ${point.x},${point.y} is a point in the picture, but ${path.basename(media)} has no video; name the source instead (e.g. --source speech)`);
    }
    if (at > info.durationSec + 1e-6) throw new UsageError(`--at ${at} is past the end of the media (${info.durationSec.toFixed(2)} s)`);
    const params: SeparationJobParams = { media, sources: queries, outDir: path.resolve(options.out), format, mask, device: options.device === undefined ? 'auto' : device };
    const manifest = await runJob<Manifest>('separation', params, io);
    if (manifest.device.notice) io.stderr.write(`stemsight: note: ${manifest.device.notice}\n`);
    for (const w of manifest.warnings) io.stderr.write(`stemsight: warning: ${w}\n`);
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
