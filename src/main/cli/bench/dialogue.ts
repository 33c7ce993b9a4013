import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../engine/media/binaries';
import { readAudio } from '../../engine/media/audio';
import { readWav, writeWav } from '../../engine/media/wav';
import type { JobContext } from '../../engine/jobs/define';
import separationJob from '../../engine/separation/job';
import stemEditJob from '../../engine/stem-edit/job';
import { separatedName } from '../../engine/separation/dialogue';
import { DEFAULT_STRENGTH, enhancerAmount, strengthPower } from '../../../shared/stem-edit';
import { mean, mono11k, PY, sdr } from './app';
import { realMaterial } from './real';

/**
 * The speaker's stem on real footage at each strength, scored against the voice: a real voice
 * (speaker-test's recordings, test/fixtures/real) over an instrument, under a real photograph, asked
 * for by name as the app asks for a clicked face ('speaker', the picture's features left out). The
 * separation cleans the stem at the default strength; each other strength is a stem edit, as in
 * the app. The instrument is a source of a held-out world scene (`training.world.clips --variation
 * heldout`, the asset bank), scaled to the voice's level (0 dB), as in the real-pictures experiment.
 */

export const STRENGTHS = [0, 0.25, DEFAULT_STRENGTH, 0.75, 1];
const VOICES = ['Front_Center.wav', 'Front_Left.wav', 'Rear_Right.wav', 'Side_Left.wav'];
const RATE = 48000;
const PAUSE_SEC = 0.8;

export interface DialogueMixture {
  instrument: string;
  copyPaste: number;
  /** The stem as separated, before the enhancer. */
  separated: number;
  /** SDR per strength (STRENGTHS' order). */
  strengths: number[];
  /** Wall time of one strength change (the stem edit). */
  editSec: number[];
}

export interface DialogueBenchFigures {
  clipSec: number;
  mixtures: DialogueMixture[];
}

const ctx = (): JobContext => ({ jobId: 'bench', signal: new AbortController().signal, cancelled: false, throwIfCancelled: () => undefined, progress: () => undefined, record: () => undefined });

/** The four recordings one after the other, with pauses between, mono at RATE. */
async function voiceTrack(material: string): Promise<Float32Array> {
  const parts = await Promise.all(VOICES.map(async (f) => (await readAudio(path.join(material, f), { sampleRate: RATE, channels: 1 })).channels[0]));
  const pause = Math.round(PAUSE_SEC * RATE);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length + pause, pause));
  let o = pause;
  for (const p of parts) {
    out.set(p, o);
    o += p.length + pause;
  }
  return out;
}

/** The first source of held-out world scene `index` that is not a speaker, mono at RATE, and its class. */
function worldInstrument(root: string, dir: string, index: number, seconds: number): { file: string; cls: string } {
  execFileSync(PY, ['-m', 'training.world.clips', '--split', 'test', '--index', String(index), '--kind', 'diff2', '--variation', 'heldout', '--seconds', String(seconds), '--height', '120', '--fps', '5', '--rate', String(RATE), '--channels', '1', '--codec', 'pcm', '--out', dir], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { sources: { class: string; file: string }[] };
  const s = truth.sources.find((x) => x.class !== 'speaker');
  if (!s) throw new Error(`world scene ${index} has no instrument`);
  return { file: path.join(dir, s.file), cls: s.class };
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));

export async function runDialogueBench(root: string, opts: { mixtures?: number; log: (s: string) => void }): Promise<DialogueBenchFigures> {
  const material = realMaterial(root);
  if (!material) throw new Error('the dialogue bench needs the real test material: run test/fixtures/real/fetch-material.sh');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-dialogue-'));
  try {
    const voice = await voiceTrack(material);
    const clipSec = voice.length / RATE;
    const mixtures: DialogueMixture[] = [];
    for (let i = 0; i < (opts.mixtures ?? 3); i++) {
      const dir = path.join(tmp, `mix-${i}`);
      const inst = worldInstrument(root, path.join(dir, 'world'), i, Math.ceil(clipSec) + 1);
      const raw = (await readWav(inst.file)).channels[0].subarray(0, voice.length);
      const gain = rms(voice) / Math.max(1e-9, rms(raw));
      const mix = Float32Array.from(voice, (v, k) => v + gain * (raw[k] ?? 0));
      opts.log(`bench dialogue: mixture ${i + 1}, a voice over ${inst.cls}`);
      const mixFile = path.join(dir, 'mix.wav');
      await writeWav(mixFile, { sampleRate: RATE, channels: [mix] }, 'f32');
      // A still of the real photograph with the mixture as its sound (PCM: the reference stays exact).
      const clip = path.join(dir, 'clip.mkv');
      execFileSync(ffmpegPath(), [
        '-nostdin', '-v', 'error', '-y', '-loop', '1', '-framerate', '5', '-i', path.join(material, 'bar55_2.jpg'), '-i', mixFile,
        '-map', '0:v', '-map', '1:a', '-vf', 'scale=320:240', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_f32le', '-shortest', clip,
      ]);
      const out = path.join(dir, 'stems');
      await separationJob.run({ media: clip, sources: [{ className: 'speaker' }], outDir: out, format: 'f32', scene: 'real', keepSeparated: true, cacheRoot: path.join(tmp, 'cache') }, ctx());
      const ref = [mono11k([voice], RATE)];
      const score = async (file: string) => sdr(ref, [mono11k((await readWav(file)).channels, RATE)])[0];
      const row: DialogueMixture = { instrument: inst.cls, copyPaste: sdr(ref, [mono11k([mix], RATE)])[0], separated: await score(path.join(out, separatedName('source-1.wav'))), strengths: [], editSec: [] };
      for (const s of STRENGTHS) {
        if (s === DEFAULT_STRENGTH) {
          row.strengths.push(await score(path.join(out, 'source-1.wav')));
          continue;
        }
        const t0 = performance.now();
        const edited = path.join(dir, `strength-${s}`);
        const r = await stemEditJob.run({ sources: [{ file: path.join(out, 'source-1.wav'), strength: s, moves: [] }], residual: path.join(out, 'residual.wav'), startSec: 0, order: [], outDir: edited }, ctx());
        row.editSec.push((performance.now() - t0) / 1000);
        row.strengths.push(await score(path.join(edited, r.sources[0]!)));
      }
      mixtures.push(row);
    }
    return { clipSec, mixtures };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatDialogue(r: DialogueBenchFigures): string {
  const f2 = (x: number) => x.toFixed(2);
  const col = (pick: (m: DialogueMixture) => number) => `**${f2(mean(r.mixtures.map(pick)))}** (${r.mixtures.map((m) => f2(pick(m))).join(', ')})`;
  const edits = r.mixtures.flatMap((m) => m.editSec);
  return [
    `| speaker stem, real voice over an instrument (${r.mixtures.map((m) => m.instrument).join(', ')}), ${r.clipSec.toFixed(1)} s each | SDR dB: mean (per mixture) |`,
    '|---|---|',
    `| copy-paste (the mixture) | ${col((m) => m.copyPaste)} |`,
    `| as separated, before the enhancer | ${col((m) => m.separated)} |`,
    ...STRENGTHS.map((s, k) => `| strength ${s}${s === DEFAULT_STRENGTH ? ' (default)' : ''}: enhancer ${enhancerAmount(s).toFixed(2)}, mask power ${strengthPower(s).toFixed(2)} | ${col((m) => m.strengths[k])} |`),
    `| one strength change (stem edit: enhancer + re-mask + residual) | ${f2(mean(edits))} s wall time on average |`,
  ].join('\n');
}
