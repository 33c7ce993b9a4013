import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../engine/fs/atomic';
import { UsageError } from '../args';
import { printJson, type Command } from '../command';

/** Benchmarks by area. `app` is the full app path (issue 4) and writes docs/benchmarks.md. */

type Suite = (opts: { seconds?: number; quick: boolean; full: boolean; log: (s: string) => void; root: string }) => Promise<{ figures: unknown; table: string }>;

const suites: Record<string, () => Promise<Suite>> = {
  dsp: async () => {
    const m = await import('../bench/dsp');
    return async (opts) => {
      const figs = await m.runDspBench(opts);
      return { figures: figs, table: m.formatFigures(figs) };
    };
  },
  app: async () => {
    const m = await import('../bench/app');
    return async (opts) => {
      const why = m.checkPrerequisites(opts.root);
      if (why) throw new UsageError(why);
      const r = await m.runAppBench(opts.root, opts);
      return { figures: r, table: formatApp(r) };
    };
  },
};

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

function formatApp(r: Awaited<ReturnType<typeof import('../bench/app').runAppBench>>): string {
  const q = r.quality;
  const lines = [
    `Model: ${r.model.name} ${r.model.version} (card sha256 ${r.model.sha256.slice(0, 12)}), provider ${r.provider}.`,
    '',
    `### Separation quality (SDR, dB; bss_eval at 11025 Hz mono; ${q[0]?.clips ?? 0} test-seed clip(s) of ${r.clipSeconds} s per kind, H.264 + AAC, 44.1/48 kHz stereo, 16:9 and 4:3)`,
    '',
    `App path with the card's stages (${r.stages.join(' + ')})${r.stages.length > 1 ? ', next to the appearance stage alone' : ''}:`,
    '',
    `| scene kind | app path |${r.stages.length > 1 ? ' appearance only |' : ''} copy-paste | ideal binary mask | pointing acc. | cIoU@0.5 |`,
    `|---|---|${r.stages.length > 1 ? '---|' : ''}---|---|---|---|`,
    ...q.map((x) => `| ${x.kind} | ${f2(x.app)} |${r.stages.length > 1 ? ` ${f2(x.appearanceOnly)} |` : ''} ${f2(x.copyPaste)} | ${f2(x.ibm)} | ${f2(x.pointing)} | ${f2(x.ciou)} |`),
    '',
    '### Speed and memory',
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| separation of 2 sources, ${f1(r.speed.clipSec)} s clip, after analysis | ${f1(r.speed.separateSec)} s, real-time factor ${r.speed.rtf.toFixed(3)} | <= 0.05 |`,
    `| click to first 10 s of audio, once analysed | ${f2(r.speed.previewSec)} s | < 1 s |`,
    `| analysis (visual features + heatmaps) | ${f1(r.speed.analysisXRealTime)}x real time (${f1(r.speed.analysisSec)} s) | >= 10x |`,
    `| peak RSS, \`stemsight separate\` of the ${f1(r.speed.clipSec)} s clip once analysed (separation stage alone) | ${f1(r.separationMemory.peakMiB)} MiB${r.separationMemory.finished ? '' : ' (did not finish)'} | < 1536 MiB |`,
    `| peak RSS, 60-minute clip through \`stemsight separate\` | ${f1(r.memory.peakMiB)} MiB${r.memory.finished ? '' : ` (first ${f1(r.memory.ranSec)} s of the run; streaming, so it stays flat — \`stemsight bench app --full\` runs it to the end)`} | < 1536 MiB |`,
  ];
  return lines.join('\n');
}

function machine(): string {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(rel);
    if (m) osName = `${m[1]} (${os.type()} ${os.release()})`;
  } catch {
    // not Linux
  }
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${osName}, Node ${process.version}`;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'training'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const command: Command = {
  name: 'bench',
  summary: 'Measure quality and speed (suites: ' + Object.keys(suites).join(', ') + '); the app suite writes docs/benchmarks.md',
  usage: 'bench [suite...] [--quick] [--full] [--json] [--seconds N]',
  options: {
    json: { kind: 'boolean', help: 'print JSON instead of Markdown' },
    quick: { kind: 'boolean', help: 'fewer and shorter clips (a few minutes)' },
    full: { kind: 'boolean', help: 'run the 60-minute memory check to the end (long)' },
    seconds: { kind: 'string', value: 'N', help: 'length of the synthetic audio for the dsp timings (default 180)' },
  },
  async run({ options, positionals }, io) {
    const names = positionals.length ? positionals : Object.keys(suites);
    for (const n of names) if (!Object.hasOwn(suites, n)) throw new UsageError(`unknown bench suite '${n}' (have: ${Object.keys(suites).join(', ')})`);
    const seconds = options.seconds === undefined ? undefined : Number(options.seconds);
    if (seconds !== undefined && !(seconds > 0 && seconds <= 7200)) throw new UsageError('--seconds must be a number in (0, 7200]');
    const log = (s: string) => {
      if (io.stderr.isTTY) io.stderr.write(`${s}\n`);
    };
    const root = repoRoot();
    const results: Record<string, { figures: unknown; table: string }> = {};
    for (const n of names) results[n] = await (await suites[n]())({ seconds, quick: Boolean(options.quick), full: Boolean(options.full), log, root });
    const date = new Date().toISOString().slice(0, 10);
    const md = [
      '# Benchmarks',
      '',
      `Measured ${date} on ${machine()}, by \`npm run bench\`${options.quick ? ' (--quick)' : ''}. The machine was shared with other work (load average ${os.loadavg()[0].toFixed(1)} at the end), so speeds are pessimistic.`,
      '',
      ...Object.entries(results).flatMap(([n, r]) => [`## ${n}`, '', r.table, '']),
      '## How',
      '',
      '- Clips: `python3 -m training.world.clips --split test` (test seeds only, never training seeds), encoded H.264 + AAC 192k, stereo, alternating 44.1/48 kHz and 16:9 (640x360) / 4:3 (480x360).',
      '- App path: ffmpeg decode -> analysis (visual session at 8 fps, localization) -> separation (audio + masks sessions per 65535-sample window, cross-faded masks) -> full-rate stems. Each source is clicked at its box centre in the frame where its envelope peaks.',
      "- Scores: the project's bss_eval (mir_eval's bss_eval_sources, 512-tap filters, no permutation) on mono 11025 Hz versions of the references and the estimates (windowed-sinc resampling). Copy-paste = the mixture as every estimate; ideal binary mask = each 11025 Hz STFT bin given to the loudest reference.",
      '- Localization: every 4th analysed frame with a sounding source (envelope > 0.3); pointing = the heatmap maximum falls in a sounding source\'s box; cIoU@0.5 = IoU of cells >= 0.5 with the cells inside sounding boxes.',
      '- Speed: wall time in one process with the sessions loaded; click-to-first-10 s = a 10 s separation from 0 s once the clip is analysed. Memory: resident set of the `stemsight separate` process (and children) sampled every 250 ms.',
      '',
    ].join('\n');
    if (names.includes('app')) await writeFileAtomic(path.join(root, 'docs', 'benchmarks.md'), md);
    if (options.json) printJson(io, { machine: machine(), date, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.figures])) });
    else io.stdout.write(md);
    return 0;
  },
};
