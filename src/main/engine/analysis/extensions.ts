import type { ModelCard } from '../models/card';
import type { AudioFeatures, ModelRuntime } from '../models/runtime';
import { motionExtension } from './motion-features';

/**
 * Per-frame work of later model stages during the analysis pass, cached next to the visual
 * features. Models II's motion stage registers here (its motion features from stacks of frames);
 * separation/stages.ts REFINERS then reads them back from the cache folder (meta.files names them).
 * The analysis runs every extension whose stage the card declares and whose sessions it ships.
 */

export interface AnalysisBatch {
  /**
   * (F, 3, H, W) RGB 0..255 model frames, and their analysed frame indices. A new array for every
   * batch, never written after the call, so an extension may keep views of it.
   */
  frames: Float32Array;
  indices: number[];
  /** (F, K, gh, gw) visual features of the same frames. */
  visual: Float32Array;
  /** Model window the frames belong to (start sample at the model rate), and its audio features. */
  windowStart: number | null;
  audio: AudioFeatures | null;
}

export interface AnalysisExtension {
  stage: string;
  sessions: string[];
  /** Called once with the cache folder under construction. */
  begin(dir: string, runtime: ModelRuntime): Promise<void>;
  /** Frames in order, in batches. */
  batch(b: AnalysisBatch): Promise<void>;
  /** Flush and close; returns cache files written ({logical name: file name}). */
  end(): Promise<Record<string, string>>;
  /** Discard (analysis failed or cancelled). */
  abort(): Promise<void>;
}

export const ANALYSIS_EXTENSIONS: Record<string, (card: ModelCard) => AnalysisExtension> = { motion: motionExtension };

export function analysisExtensions(card: ModelCard, available: (session: string) => boolean): AnalysisExtension[] {
  const out: AnalysisExtension[] = [];
  for (const stage of card.stages) {
    const make = ANALYSIS_EXTENSIONS[stage];
    if (!make) continue;
    const ext = make(card);
    if (ext.sessions.every((s) => card.sessions[s] && available(s))) out.push(ext);
  }
  return out;
}
