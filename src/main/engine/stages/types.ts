import type { ModelCard } from '../models/card';
import type { AudioFeatures, ModelRuntime } from '../models/runtime';
import type { AnalysisCache } from '../analysis/cache';

/**
 * A model stage beyond appearance: one entry per stage, in one module, registered with
 * one line in stages/index.ts. The card names the stages a model was trained with (card.stages);
 * the engine runs a stage when the card declares it, the registry knows it and the card ships the
 * sessions its parts need. A stage has up to two parts:
 *  - analysis: per-frame work during the analysis pass, cached next to the visual features
 *    (computed once per media and model, read back at separation time from the cache);
 *  - separation: the joint refinement of one model window's masks (all sources at once).
 * Settings the stage reads from the card live in the card's section of the same name, declared in
 * models/card.ts so cards are validated before any stage runs.
 */
export interface StageEntry {
  /** The stage's name in card.stages. */
  name: string;
  analysis?: (card: ModelCard) => AnalysisExtension;
  separation?: (card: ModelCard) => RefineStage;
}

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

/** A stage's part in the analysis pass. */
export interface AnalysisExtension {
  stage: string;
  /** Sessions this part needs (from card.sessions). */
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

export interface SourceInput {
  /** The source's query vector (K): pixel features at its click and/or its class query (separation/query.ts). */
  features: Float32Array;
  /** Feature cell and analysed frame of the click; null for a source asked for by name alone. */
  cell: { row: number; col: number; frame: number } | null;
  /**
   * How the thing at the source's click moves, as the tracker follows it (separation/movement.ts):
   * its activity, 0..1 per frame, frame n standing for fromSec + (n + 0.5) / fps seconds into the
   * media. Given only where a refinement reads it (RefineStage.readsActivity); null or absent: not followed.
   */
  activity?: FollowedActivity | null;
}

export interface FollowedActivity {
  fps: number;
  fromSec: number;
  values: Float32Array;
}

export interface WindowContext {
  runtime: ModelRuntime;
  card: ModelCard;
  /** Null when no source has a point (nothing reads the picture). */
  cache: AnalysisCache | null;
  /** Window start at the model rate, samples; the window is card.audio.windowSamples long. */
  start: number;
  audio: AudioFeatures;
  sources: SourceInput[];
}

/** A stage's part at separation time. */
export interface RefineStage {
  name: string;
  /** Sessions this part needs (from card.sessions). */
  sessions: string[];
  /** The stage makes the masks of the sources it refines from scratch (its session includes the appearance stage). */
  replacesAppearance?: boolean;
  /**
   * The stage follows what is at a source's point: it refines only the sources that have one, and
   * keeps the appearance masks of the others (which then must be given).
   */
  pointsOnly?: boolean;
  /** The stage reads each clicked source's activity (SourceInput.activity): the tracker runs before it. */
  readsActivity?: boolean;
  /**
   * masks (N, bins, frames) -> new masks of the same shape, all sources jointly; masks is left as
   * it is (the movement share reads the appearance masks too). masks is null only when
   * replacesAppearance and every source is one the stage refines.
   */
  refine(masks: Float32Array | null, ctx: WindowContext): Promise<Float32Array>;
}
