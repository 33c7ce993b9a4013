import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../engine/fs/atomic';
import { UsageError } from '../args';
import { printJson, type Command } from '../command';
import { d2, f1, f2 } from '../bench/format';
import type { WorldSplit, WorldVariation } from '../bench/world-quality';

/** Benchmarks by area. `app` is the full app path (decode to stems) and writes docs/benchmarks.md. */

type Suite = (opts: { seconds?: number; quick: boolean; full: boolean; variations?: WorldVariation[]; split?: WorldSplit; log: (s: string) => void; root: string }) => Promise<{ figures: unknown; table: string }>;

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
  /** Analysis of real footage with the detectors on, then dialogue when it can run (prints its figures; not run by default). */
  real: async () => {
    const m = await import('../bench/real');
    const app = await import('../bench/app');
    const dialogue = await suites.dialogue();
    return async (opts) => {
      if (!m.realMaterial(opts.root)) throw new UsageError('the real-footage bench needs the real test material: run test/fixtures/real/fetch-material.sh');
      const r = await m.runRealBench(opts.root, opts);
      const why = app.checkPrerequisites(opts.root);
      const d = why ? { figures: null, table: `Dialogue not measured: ${why}.` } : await dialogue(opts);
      return { figures: { ...r, dialogue: d.figures }, table: `${m.formatReal(r)}\n\n${d.table}` };
    };
  },
  /** The speaker's stem on real footage at each strength (the speech enhancer), scored (not run by default). */
  dialogue: async () => {
    const m = await import('../bench/dialogue');
    const app = await import('../bench/app');
    const real = await import('../bench/real');
    return async (opts) => {
      const why = app.checkPrerequisites(opts.root) ?? (real.realMaterial(opts.root) ? null : 'the dialogue bench needs the real test material: run test/fixtures/real/fetch-material.sh');
      if (why) throw new UsageError(why);
      const r = await m.runDialogueBench(opts.root, opts);
      return { figures: r, table: m.formatDialogue(r) };
    };
  },
  /** Separation of real recordings on a real photograph: face clicks and named players (needs fetched material). */
  'real-quality': async () => {
    const m = await import('../bench/real-quality');
    return async (opts) => {
      if (!m.realInstrumentsAvailable()) throw new UsageError(m.MISSING_MATERIAL);
      const r = await m.runRealQualityBench(opts);
      return { figures: r, table: m.formatRealQuality(r) };
    };
  },
  /** App-path quality on test seeds next to timbres no training uses, with and without the movement share (not run by default). */
  'world-quality': async () => {
    const m = await import('../bench/world-quality');
    const app = await import('../bench/app');
    return async (opts) => {
      const why = app.checkPrerequisites(opts.root);
      if (why) throw new UsageError(why);
      const r = await m.runWorldQualityBench(opts.root, { quick: opts.quick, seconds: opts.seconds, split: opts.split, variations: opts.variations ?? [...m.WORLD_VARIATIONS], log: opts.log });
      return { figures: r, table: m.formatWorldQuality(r) };
    };
  },
  /** The app suite's quality part and its Python comparison only (after a model re-ship). */
  parity: async () => {
    const m = await import('../bench/app');
    return async (opts) => {
      const why = m.checkPrerequisites(opts.root);
      if (why) throw new UsageError(why);
      const r = await m.runAppBench(opts.root, { ...opts, qualityOnly: true });
      return { figures: r, table: formatQuality(r) };
    };
  },
};

const QUALITY_BEGIN = '<!-- bench:quality -->';
const QUALITY_END = '<!-- /bench:quality -->';
const NOTES = '<!-- notes: kept by later runs -->';

type AppResult = Awaited<ReturnType<typeof import('../bench/app').runAppBench>>;

function formatQuality(r: AppResult): string {
  const q = r.quality;
  const two = r.stages.length > 1;
  return [
    QUALITY_BEGIN,
    `Model: ${r.model.name} ${r.model.version} (card sha256 ${r.model.sha256.slice(0, 12)}), provider ${r.provider}; quality measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}.`,
    '',
    `### Separation quality (SDR, dB; bss_eval at 11025 Hz mono; ${q[0]?.clips ?? 0} test-seed clip(s) of ${r.clipSeconds} s per kind, H.264 + AAC, 44.1/48 kHz stereo, 16:9 and 4:3)`,
    '',
    `App path with the card's stages (${r.stages.join(' + ')}) and the movement share, next to the models alone (no movement share)${two ? ' and the appearance stage alone' : ''}:`,
    '',
    `| scene kind | app path | models alone |${two ? ' appearance only |' : ''} copy-paste | ideal binary mask | pointing acc. | cIoU@0.5 |`,
    `|---|---|---|${two ? '---|' : ''}---|---|---|---|`,
    ...q.map((x) => `| ${x.kind} | ${f2(x.app)} | ${f2(x.models)} |${two ? ` ${f2(x.appearanceOnly)} |` : ''} ${f2(x.copyPaste)} | ${f2(x.ibm)} | ${f2(x.pointing)} | ${f2(x.ciou)} |`),
    '',
    '### App path against the Python evaluation of the same models (same clips)',
    '',
    'Python = the PyTorch weights the ONNX files were exported from (`training/evaluate_clips.py`) on the same clips without AAC or H.264 (the uncompressed ground-truth mixture and frames), the same clicks and windows, its estimates scored by the same code; the app runs the models alone here (no movement share, which has no Python counterpart); difference = app - Python (target: within 0.5 dB).',
    '',
    `| scene kind | app, models alone | Python | difference |${two ? ' app, appearance only | Python, appearance only | difference |' : ''} pointing, app's heatmaps | pointing, Python |`,
    `|---|---|---|---|${two ? '---|---|---|' : ''}---|---|`,
    ...q.map((x) => `| ${x.kind} | ${f2(x.models)} | ${f2(x.python)} | ${d2(x.models - x.python)} |${two ? ` ${f2(x.appearanceOnly)} | ${f2(x.pythonAppearance)} | ${d2(x.appearanceOnly - x.pythonAppearance)} |` : ''} ${f2(x.pointingSound)} | ${f2(x.pointingPython)} |`),
    `| all clips | ${f2(avg(r.clips.map((c) => c.models)))} | ${f2(avg(r.clips.map((c) => c.python)))} | ${d2(avg(r.clips.map((c) => c.models - c.python)))} |${two ? ` ${f2(avg(r.clips.map((c) => c.appearanceOnly)))} | ${f2(avg(r.clips.map((c) => c.pythonAppearance)))} | ${d2(avg(r.clips.map((c) => c.appearanceOnly - c.pythonAppearance)))} |` : ''} | |`,
    '',
    'Per clip:',
    '',
    '| clip | frame, audio | app, models alone | Python | difference | Python, mir_eval |',
    '|---|---|---|---|---|---|',
    ...r.clips.map((c, i) => `| ${i + 1} (${c.kind}) | ${c.aspect}, ${c.rate / 1000} kHz | ${f2(c.models)} | ${f2(c.python)} | ${d2(c.models - c.python)} | ${f2(c.pythonMirEval)} |`),
    QUALITY_END,
  ].join('\n');
}

const avg = (xs: number[]) => {
  const v = xs.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};

function formatApp(r: AppResult): string {
  const lines = [formatQuality(r)];
  if (!r.speed || !r.memory || !r.separationMemory) return lines[0];
  lines.push(
    '',
    '### Speed and memory',
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| separation of 2 sources, ${f1(r.speed.clipSec)} s clip, after analysis | ${f1(r.speed.separateSec)} s, real-time factor ${r.speed.rtf.toFixed(3)} | <= 0.05 |`,
    `| click to first 10 s of audio, once analysed | ${f2(r.speed.previewSec)} s (median of ${r.speed.previewRuns.length}: ${f2(Math.min(...r.speed.previewRuns))}-${f2(Math.max(...r.speed.previewRuns))}) | < 1 s |`,
    `| analysis (visual features + heatmaps${r.stages.includes('motion') ? ' + motion features' : ''}) | ${f1(r.speed.analysisXRealTime)}x real time (${f1(r.speed.analysisSec)} s) | >= 10x |`,
    `| peak RSS, \`stemsight separate\` of the ${f1(r.speed.clipSec)} s clip once analysed (separation stage alone) | ${f1(r.separationMemory.peakMiB)} MiB${r.separationMemory.finished ? '' : ' (did not finish)'} | < 1536 MiB |`,
    `| peak RSS, 60-minute clip through \`stemsight separate\` (analysis + separation) | ${f1(r.memory.peakMiB)} MiB${r.memory.finished ? ` (ran to the end, ${f1(r.memory.ranSec)} s)` : ` (first ${f1(r.memory.ranSec)} s of the run; streaming, so it stays flat — \`stemsight bench app --full\` runs it to the end)`} | < 1536 MiB |`,
  );
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
  summary: 'Measure quality and speed (suites: ' + Object.keys(suites).join(', ') + '); the app suite writes docs/benchmarks.md, parity updates its quality part',
  usage: 'bench [suite...] [--quick] [--full] [--idle] [--json] [--seconds N] [--variations test,heldout,unseen,real,canonical] [--split test|val]',
  options: {
    json: { kind: 'boolean', help: 'print JSON instead of Markdown' },
    quick: { kind: 'boolean', help: 'fewer and shorter clips (a few minutes)' },
    full: { kind: 'boolean', help: 'run the 60-minute memory check to the end (long)' },
    seconds: { kind: 'string', value: 'N', help: 'length of the synthetic audio for the dsp timings (default 180), or of each world-quality clip (default 8)' },
    variations: { kind: 'string', value: 'LIST', help: 'world-quality: timbre variations to score, of test, heldout, unseen, real, canonical (default all five)' },
    split: { kind: 'string', value: 'SPLIT', help: "world-quality: the clips' split, test (default: the figures the docs quote) or val (the validation split, to choose a rule on)" },
    idle: { kind: 'boolean', help: 'say in the document that nothing else ran on the machine during the run (other work paused or absent)' },
  },
  async run({ options, positionals }, io) {
    // parity is the app suite's quality part, the real suites need fetched material, world-quality is long: only when asked for.
    const names = positionals.length ? positionals : Object.keys(suites).filter((n) => !['parity', 'real', 'real-quality', 'dialogue', 'world-quality'].includes(n));
    for (const n of names) if (!Object.hasOwn(suites, n)) throw new UsageError(`unknown bench suite '${n}' (have: ${Object.keys(suites).join(', ')})`);
    const seconds = options.seconds === undefined ? undefined : Number(options.seconds);
    if (seconds !== undefined && !(seconds > 0 && seconds <= 7200)) throw new UsageError('--seconds must be a number in (0, 7200]');
    const log = (s: string) => {
      if (io.stderr.isTTY) io.stderr.write(`${s}\n`);
    };
    const root = repoRoot();
    const results: Record<string, { figures: unknown; table: string }> = {};
    // Checked before any suite runs, so a typo does not cost a long run first.
    const variations = options.variations === undefined ? undefined : (await import('../bench/world-quality')).parseVariations(String(options.variations));
    const split = options.split === undefined ? undefined : (await import('../bench/world-quality')).parseSplit(String(options.split));
    for (const n of names) results[n] = await (await suites[n]())({ seconds, quick: Boolean(options.quick), full: Boolean(options.full), variations, split, log, root });
    const date = new Date().toISOString().slice(0, 10);
    const docPath = path.join(root, 'docs', 'benchmarks.md');
    const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    const conditions = options.idle
      ? `Nothing else ran on the machine during the run (other work was paused or absent), so it was otherwise idle (load average ${os.loadavg()[0].toFixed(1)} at the end, the benchmark's own).`
      : `The machine was shared with other work (load average ${os.loadavg()[0].toFixed(1)} at the end), so speeds are pessimistic.`;
    const md = [
      '# Benchmarks',
      '',
      `Measured ${date} on ${machine()}, by \`npm run bench\`${options.quick ? ' (--quick)' : options.full ? ' (--full)' : ''}. ${conditions}`,
      '',
      ...Object.entries(results).flatMap(([n, r]) => [`## ${n}`, '', r.table, '']),
      '## How',
      '',
      `- Clips: \`python3 -m training.world.clips --split ${split ?? 'test'}\` (${split === 'val' ? 'validation-split seeds, for choosing a rule: not test figures' : 'test seeds only'}, never training seeds), encoded H.264 (yuv420p, crf 20) + AAC 192k, stereo, alternating 44.1/48 kHz and 16:9 (640x360) / 4:3 (480x360).`,
      '- App path: ffmpeg decode -> analysis (visual session at 8 fps, frame n being the picture on screen at (n + 0.5)/8 s, the middle of the 1/8 s it stands for; motion features when the card has the motion stage; localization) -> separation (audio + masks or refine sessions per 65535-sample window, cross-faded masks) -> full-rate stems. Each source is clicked at its box centre in the frame where its envelope peaks.',
      "- Scores: the project's bss_eval (mir_eval's bss_eval_sources, 512-tap filters, no permutation) on mono 11025 Hz versions of the references and the estimates (windowed-sinc resampling). Copy-paste = the mixture as every estimate; ideal binary mask = each 11025 Hz STFT bin given to the loudest reference.",
      '- Python comparison: `training/evaluate_clips.py` runs the PyTorch weights the shipped ONNX files were exported from (training/checkpoints/appearance-best.pt, motion-activity.pt) on the same clip: the uncompressed ground truth (the sum of the source WAVs, mono, 11025 Hz; the scene re-rendered at the clip size and stretched to 224x128), the same clicks (training.evaluate\'s protocol: the clicked cell\'s features), each source\'s activity from the truth\'s envelope (the app\'s from its tracker), the app\'s windows and cross-fade, masks applied to the 11025 Hz STFT. Its estimates are scored by the same code as the app\'s; mir_eval\'s own figure is listed as a cross-check.',
      "- Localization: every analysed frame in which a source sounds (its envelope, RMS per clip frame over the clip's maximum, as an RMS over the analysed frame's 1/8 s above 0.3, the world's threshold); pointing = the maximum of the pointing heatmap (what the editor shows: the audio-visual heatmap, each cell's match held over the frames around it and fading by half every 1/8 s, weighted by where the picture moves and stands away from its rest) falls in a sounding source's box in the picture analysed; cIoU@0.5 = IoU of its cells >= 0.5 with the cells inside sounding boxes. The comparison with Python scores the audio-visual heatmaps alone, which the Python column makes the same way from the uncompressed clip.",
      '- Speed: wall time in one process with the sessions loaded; click-to-first-10 s = a 10 s separation from 0 s once the clip is analysed, the median of 5 in turn. Memory: resident set of the `stemsight separate` process (and children) sampled every 250 ms.',
      '',
    ].join('\n');
    // Hand-written notes after the NOTES marker survive a new run.
    const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : '';
    if (names.includes('app')) {
      await writeFileAtomic(docPath, md + (notes ? `\n${notes}` : ''));
    } else if (names.includes('parity') && !options.json) {
      // A quality-only run (after new model files) replaces the quality block and keeps the rest.
      const block = (x: string) => {
        const a = x.indexOf(QUALITY_BEGIN), b = x.indexOf(QUALITY_END);
        return a >= 0 && b > a ? [a, b + QUALITY_END.length] : null;
      };
      const fresh = results.parity.table, at = block(previous), from = block(fresh);
      if (at && from) await writeFileAtomic(docPath, previous.slice(0, at[0]) + fresh.slice(from[0], from[1]) + previous.slice(at[1]));
    }
    if (options.json) printJson(io, { machine: machine(), date, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.figures])) });
    else io.stdout.write(md);
    return 0;
  },
};
