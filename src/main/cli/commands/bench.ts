import os from 'node:os';
import { UsageError } from '../args';
import { printJson, type Command } from '../command';

/** Benchmarks by area; later areas (separation, localization) add a line here. */
const suites: Record<string, () => Promise<(opts: { seconds?: number; log: (s: string) => void }) => Promise<unknown>>> = {
  dsp: async () => {
    const m = await import('../bench/dsp');
    return async (opts) => {
      const figs = await m.runDspBench(opts);
      return { figures: figs, table: m.formatFigures(figs) };
    };
  },
};

export const command: Command = {
  name: 'bench',
  summary: 'Measure speed (suites: ' + Object.keys(suites).join(', ') + '); prints a Markdown table, or JSON with --json',
  usage: 'bench [suite...] [--json] [--seconds N]',
  options: {
    json: { kind: 'boolean', help: 'print JSON instead of a Markdown table' },
    seconds: { kind: 'string', value: 'N', help: 'length of the synthetic audio for STFT timings (default 180)' },
  },
  async run({ options, positionals }, io) {
    const names = positionals.length ? positionals : Object.keys(suites);
    for (const n of names) if (!Object.hasOwn(suites, n)) throw new UsageError(`unknown bench suite '${n}' (have: ${Object.keys(suites).join(', ')})`);
    const seconds = options.seconds === undefined ? undefined : Number(options.seconds);
    if (seconds !== undefined && !(seconds > 0 && seconds <= 7200)) throw new UsageError('--seconds must be a number in (0, 7200]');
    const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
    const log = (s: string) => {
      if (io.stderr.isTTY) io.stderr.write(`${s}\n`);
    };
    const results: Record<string, unknown> = {};
    for (const n of names) results[n] = await (await suites[n]())({ seconds, log });
    if (options.json) {
      printJson(io, { machine, results });
    } else {
      io.stdout.write(`Machine: ${machine}\n\n`);
      for (const [n, r] of Object.entries(results)) io.stdout.write(`## ${n}\n\n${(r as { table: string }).table}\n\n`);
    }
    return 0;
  },
};
