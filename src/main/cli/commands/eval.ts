import path from 'node:path';
import { UsageError } from '../args';
import { printJson, type Command } from '../command';
import { readWav, WavError } from '../../engine/media/wav';
import { readAudio } from '../../engine/media/audio';
import { toMono } from '../../engine/dsp/mono';
import { bssEvalSources } from '../../engine/metrics/bss_eval';

/** Mono signal of a file: WAV read directly, anything else decoded by ffmpeg. */
async function loadMono(file: string): Promise<{ rate: number; x: Float32Array }> {
  try {
    const w = await readWav(file);
    return { rate: w.sampleRate, x: toMono(w.channels) };
  } catch (err) {
    // Not a WAV this reader decodes: ffmpeg may still read it.
    if (!(err instanceof WavError) || err.reason === 'INVALID') throw err;
  }
  const a = await readAudio(file, { channels: 1 });
  return { rate: a.sampleRate, x: a.channels[0] };
}

export const command: Command = {
  name: 'eval',
  summary: 'Score estimated stems against reference stems with bss_eval (SDR, SIR, SAR)',
  usage: 'eval --reference r1.wav r2.wav ... --estimate e1.wav e2.wav ... [--no-permutation]',
  options: {
    reference: { kind: 'list', value: 'FILE', help: 'reference (true) sources, one file each' },
    estimate: { kind: 'list', value: 'FILE', help: 'estimated sources, as many as references' },
    permutation: { kind: 'boolean', default: true, help: 'match estimates to references by best mean SIR (default; --no-permutation keeps the given order)' },
  },
  details: [
    'bss_eval_sources as in mir_eval 0.7 (512-tap distortion filters). Like mir_eval, multichannel files',
    'are averaged to mono. All files must share one sample rate; shorter files are padded with zeros',
    'to the longest (mir_eval itself requires equal lengths). Output, one value per reference:',
    '  {"sdr":[...],"sir":[...],"sar":[...],"permutation":[...]}',
    'permutation[j] is the (0-based) estimate matched to reference j. An infinite ratio (SIR with a',
    'single source) is printed as null, since JSON has no infinity.',
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (files go after --reference or --estimate)`);
    const refs = options.reference as string[];
    const ests = options.estimate as string[];
    if (refs.length === 0 || ests.length === 0) throw new UsageError('give --reference FILE... and --estimate FILE... (see stemsight eval --help)');
    if (refs.length !== ests.length) {
      throw new UsageError(`got ${refs.length} reference file(s) and ${ests.length} estimate file(s); give one estimate per reference`);
    }
    const loaded = await Promise.all([...refs, ...ests].map(loadMono));
    const rate = loaded[0].rate;
    loaded.forEach((l, i) => {
      if (l.rate !== rate) {
        const file = [...refs, ...ests][i];
        throw new UsageError(`${path.basename(file)} is at ${l.rate} Hz but ${path.basename(refs[0])} is at ${rate} Hz; resample so all files share one rate`);
      }
    });
    const len = Math.max(...loaded.map((l) => l.x.length));
    const padded = loaded.map((l) => {
      if (l.x.length === len) return l.x;
      const y = new Float32Array(len);
      y.set(l.x);
      return y;
    });
    const r = bssEvalSources(padded.slice(0, refs.length), padded.slice(refs.length), { computePermutation: options.permutation as boolean });
    const finite = (a: number[]) => a.map((v) => (Number.isFinite(v) ? v : null));
    printJson(io, { sdr: finite(r.sdr), sir: finite(r.sir), sar: finite(r.sar), permutation: r.permutation });
    return 0;
  },
};
