import type { ExportTargetId } from '../../../shared/export-targets';
import type { WavFormat } from '../media/wav';

/** What an export job is given and returns (job.ts runs it; targets.ts writes each target's files). */

export interface ExportStem {
  path: string;
  name: string;
  index: number;
  colour: string;
  gainDb: number;
  pan: number;
  mute: boolean;
  solo: boolean;
}

export interface ExportJobParams {
  media: string;
  projectName: string;
  folder: string;
  /** The user agreed to write into an existing folder. */
  replace: boolean;
  /**
   * Real folders the export must stay inside, re-checked right before writing (a folder can be
   * swapped for a link after main checked it); null when the user picked the folder in a native
   * dialog.
   */
  roots: string[] | null;
  stems: ExportStem[];
  format: WavFormat;
  /** null: the stems' own (the media's) rate. */
  sampleRate: number | null;
  namingTemplate: string;
  /** What to write (src/shared/export-targets.ts). */
  targets: ExportTargetId[];
  /** Only this part of the media (a time selection), checked by main to lie inside it; absent or null: all. */
  range?: ExportRange | null;
}

export interface ExportRange {
  startSec: number;
  endSec: number;
}

/** The exported part in frames at the export's rate: [startFrame, endFrame). */
export interface FrameSpan {
  startFrame: number;
  endFrame: number;
}

export interface ExportJobResult {
  folder: string;
  /** Every file written, in the order written. */
  files: string[];
  /** The files of each chosen target. */
  contents: Partial<Record<ExportTargetId, string[]>>;
  sampleRate: number;
  frames: number;
  /** The region exported (its seconds as asked, and its frames), null for the whole file. */
  range: (ExportRange & FrameSpan) | null;
}
