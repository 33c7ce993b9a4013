import type { MediaInfo } from '../media/probe';
import type { AnalysisCache } from '../analysis/cache';
import { monoChunks, slideWindows, windowMagnitude } from '../analysis/windows';
import type { ModelRuntime } from '../models/runtime';
import { windowMasks, type SourceInput, type StagePlan } from '../stages';

/**
 * The model-window loop of separation, written once: the mono track at the model rate in windows
 * from `firstWindow` (every `windowHop` samples), each through the audio session and the card's
 * stages. separate() runs it on its own thread or, by default, in the mask worker.
 */

export interface MaskWindow {
  index: number;
  /** First sample of the window at the model rate. */
  start: number;
  /** (N, bins, frames) masks of the window, frequency-major per source. */
  masks: Float32Array;
  /** The appearance stage's masks where a refinement changed them (stages' WindowMasks). */
  appearance: Float32Array | null;
  /** The mixture's linear STFT magnitude over the window (bins, frames): what the masks divide. */
  magnitude: Float32Array;
}

export interface WindowSpan {
  windowHop: number;
  firstWindow: number;
  /** Last window needed (previews); null: to the end of the track. */
  lastWindow: number | null;
  /** Seconds of mono audio to decode from the first window's start; null: to the end. */
  monoDuration: number | null;
}

export interface MaskInputs {
  runtime: ModelRuntime;
  cache: AnalysisCache | null;
  plan: StagePlan;
  sources: SourceInput[];
}

export async function* maskWindows(file: string, info: MediaInfo, span: WindowSpan, inputs: MaskInputs, signal?: AbortSignal): AsyncGenerator<MaskWindow> {
  const { runtime: rt, cache, plan, sources } = inputs;
  const card = rt.card;
  const a = card.audio;
  const firstStart = span.firstWindow * span.windowHop;
  const chunks = monoChunks(file, a.sampleRate, { info, signal, startSec: firstStart / a.sampleRate, durationSec: span.monoDuration ?? undefined });
  const lastWindow = span.lastWindow === null ? undefined : span.lastWindow - span.firstWindow;
  for await (const w of slideWindows(chunks, a.windowSamples, span.windowHop, { lastWindow })) {
    const start = w.start + firstStart;
    const magnitude = windowMagnitude(card, w.samples);
    const audio = await rt.audio(magnitude);
    const { masks, appearance } = await windowMasks(plan, { runtime: rt, card, cache, start, audio, sources });
    yield { index: w.index + span.firstWindow, start, masks, appearance, magnitude };
  }
}
