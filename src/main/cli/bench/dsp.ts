import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stft, istft } from '../../engine/dsp/stft';
import { ffmpegPath } from '../../engine/media/binaries';
import { decodeAudioStream } from '../../engine/media/audio';
import { openFrames } from '../../engine/media/frames';
import { bssEvalSources } from '../../engine/metrics/bss_eval';

/** Speed of the engine's building blocks: STFT, decoding, bss_eval. Median of a few runs. */

export interface BenchFigure {
  name: string;
  /** Median wall time of one run, milliseconds. */
  ms: number;
  /** Seconds of media processed per run (for real-time factors), if meaningful. */
  mediaSec?: number;
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) * 0.5 + 0.3 * Math.sin(i * 0.031);
  }
  return x;
}

export async function runDspBench(opts: { seconds?: number; decodeSeconds?: number; runs?: number; log?: (s: string) => void } = {}): Promise<BenchFigure[]> {
  const seconds = opts.seconds ?? 180;
  const decodeSeconds = opts.decodeSeconds ?? 60;
  const runs = opts.runs ?? 3;
  const log = opts.log ?? (() => undefined);
  const out: BenchFigure[] = [];

  const x11 = noise(seconds * 11025, 1);
  log(`STFT of ${seconds} s at 11025 Hz ...`);
  const spec = stft(x11);
  out.push({ name: `stft ${seconds}s mono 11025Hz (n_fft 1022, hop 256)`, ms: await time(runs, () => stft(x11)), mediaSec: seconds });
  out.push({ name: `istft ${seconds}s mono 11025Hz (n_fft 1022, hop 256)`, ms: await time(runs, () => istft(spec)), mediaSec: seconds });
  const x44 = noise(seconds * 44100, 2);
  log(`STFT of ${seconds} s at 44100 Hz ...`);
  out.push({
    name: `stft ${seconds}s one channel 44100Hz (n_fft 4088, hop 1024)`,
    ms: await time(runs, () => stft(x44, { nFft: 4088, hop: 1024 })),
    mediaSec: seconds,
    note: 'exactly the models\' grid at 4x the rate; non-power-of-two sizes go through Bluestein (slower)',
  });
  out.push({
    name: `stft ${seconds}s one channel 44100Hz (n_fft 4096, hop 1024)`,
    ms: await time(runs, () => stft(x44, { nFft: 4096, hop: 1024 })),
    mediaSec: seconds,
    note: 'power-of-two full-rate grid (recommended; masks mapped with interpolateMask)',
  });
  const s44 = stft(x44, { nFft: 4096, hop: 1024 });
  out.push({ name: `istft ${seconds}s one channel 44100Hz (n_fft 4096, hop 1024)`, ms: await time(runs, () => istft(s44)), mediaSec: seconds });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-'));
  try {
    const clip = path.join(dir, 'clip.mp4');
    log(`encoding a ${decodeSeconds} s H.264/AAC 640x360 clip for decode timings ...`);
    execFileSync(ffmpegPath(), [
      '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${decodeSeconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${decodeSeconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-shortest', clip,
    ]);
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it);
    };
    out.push({ name: `decode audio ${decodeSeconds}s AAC 48kHz stereo, original rate`, ms: await time(runs, () => drain(decodeAudioStream(clip))), mediaSec: decodeSeconds });
    out.push({ name: `decode audio ${decodeSeconds}s AAC -> 11025Hz mono (soxr)`, ms: await time(runs, () => drain(decodeAudioStream(clip, { sampleRate: 11025, channels: 1 }))), mediaSec: decodeSeconds });
    out.push({
      name: `decode frames ${decodeSeconds}s H.264 640x360 -> 224x224 RGB at 8 fps`,
      ms: await time(runs, async () => drain((await openFrames(clip, { width: 224, height: 224, fps: 8 })).frames)),
      mediaSec: decodeSeconds,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const n = 10 * 11025;
  const refs = [noise(n, 3), noise(n, 4)];
  const ests = [refs[0].map((v, i) => v + 0.3 * refs[1][i]), refs[1].map((v, i) => v + 0.2 * refs[0][i])];
  log('bss_eval ...');
  out.push({ name: 'bss_eval_sources 2 sources x 10 s at 11025 Hz (with permutation)', ms: await time(1, () => bssEvalSources(refs, ests)), mediaSec: 10 });
  return out;
}

export function formatFigures(figs: BenchFigure[]): string {
  const rows = figs.map((f) => {
    const rtf = f.mediaSec ? `${(f.ms / 1000 / f.mediaSec).toFixed(4)} (${(f.mediaSec / (f.ms / 1000)).toFixed(0)}x real time)` : '';
    return `| ${f.name} | ${f.ms.toFixed(0)} | ${rtf} |`;
  });
  return ['| task | ms (median) | real-time factor |', '|---|---:|---|', ...rows].join('\n');
}
