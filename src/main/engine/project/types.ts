/** Domain records as the rest of the app sees them (camelCase, booleans, parsed JSON). */
import type { Monitor, WavFormat } from '../../../shared/mixer';
import type { ExportTargetSettings } from '../../../shared/export-targets';
import type { SourceClass } from '../../../shared/classes';

export type { Monitor };

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Project {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  lastOpenedAt: number | null;
}

export interface RecentProject extends Project {
  /** Path of the project's first media file, for the start screen; null when it has none. */
  mediaPath: string | null;
  sourceCount: number;
}

export interface MediaFingerprint {
  size: number;
  mtimeMs: number;
  /** sha256 over the size and the first and last MiB: cheap, and catches a replaced file. */
  quickHash: string;
}

/** What the picture is: decided by the app (auto), or set by the user. */
export type SceneSetting = 'auto' | 'synthetic' | 'real';
export const SCENE_SETTINGS: readonly SceneSetting[] = ['auto', 'synthetic', 'real'];

export interface Media extends MediaFingerprint {
  id: number;
  projectId: number;
  path: string;
  probe: JsonObject;
  addedAt: number;
  scene: SceneSetting;
}

export interface Source {
  id: number;
  projectId: number;
  mediaId: number;
  /** 1-based creation order within the project; never reused, so labels stay stable. */
  index: number;
  name: string;
  colour: string;
  /**
   * The click point (time, x, y), all three or none: a source asked for by name alone has none.
   * x: 0..1 from the left of the ORIGINAL video frame (not the letterboxed preview); y: 0..1 from the top.
   */
  timeSec: number | null;
  x: number | null;
  y: number | null;
  /** What the source is (a class of shared/classes.ts), or null when only the click says. */
  className: SourceClass | null;
  createdAt: number;
  deleted: boolean;
  /** How much of the rest of the mix is removed from its stem, 0..1 (DEFAULT_STRENGTH: as separated). */
  strength: number;
  /** Time ranges moved out of its stem, applied in order after the separation. */
  moves: StemMove[];
}

/** A time range of a source's stem moved to another source's stem (to: its id) or the residual (null). */
export interface StemMove {
  startSec: number;
  endSec: number;
  to: number | null;
  /** Order among all the project's moves (they are applied in the order they were made). */
  seq: number;
}

export type AnalysisStatus = 'pending' | 'ready' | 'failed';

export interface Analysis {
  id: number;
  mediaId: number;
  kind: string;
  modelId: string;
  modelVersion: string;
  params: JsonObject;
  cachePath: string | null;
  status: AnalysisStatus;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export const FINAL_JOB_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export interface JobRecord {
  id: string;
  projectId: number | null;
  mediaId: number | null;
  kind: string;
  state: JobState;
  stage: string;
  progress: number;
  etaSec: number | null;
  /** One line for the user: what happened and what to do. */
  errorMessage: string | null;
  /** Technical detail (stack, native message) for logs and bug reports; never shown as the message. */
  errorDetail: string | null;
  params: JsonValue;
  result: JsonValue | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export type StemKind = 'source' | 'residual';

export interface Stem {
  id: number;
  projectId: number;
  mediaId: number;
  jobId: string | null;
  sourceId: number | null;
  kind: StemKind;
  path: string;
  bytes: number;
  sha256: string;
  modelId: string;
  modelVersion: string;
  params: JsonObject;
  sampleRate: number;
  channels: number;
  frames: number;
  /** Offset of the stem's first frame in the media's audio (previews cover a region). */
  startFrame: number;
  preview: boolean;
  createdAt: number;
}

export type MixerRole = 'source' | 'residual' | 'original';

export interface MixerChannel {
  id: number;
  projectId: number;
  role: MixerRole;
  sourceId: number | null;
  gainDb: number;
  /** -1 (left) .. 1 (right). */
  pan: number;
  mute: boolean;
  solo: boolean;
}

export interface MixState {
  masterGainDb: number;
  /** A/B: what the transport plays. */
  monitor: Monitor;
}

export type ExportFormat = WavFormat;

/** The dialog's choices; one include<Target> flag per export target (src/shared/export-targets.ts). */
export interface ExportSettings extends ExportTargetSettings {
  format: ExportFormat;
  /** null: the media's own rate. */
  sampleRate: number | null;
  namingTemplate: string;
  /** Last chosen folder; null until the user picks one. */
  folder: string | null;
}

export interface HistoryState {
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
}

export type FileStatus = 'ok' | 'missing' | 'changed';

export interface ProjectSnapshot {
  project: Project;
  media: (Media & { fileStatus: FileStatus })[];
  /** Live sources in creation order (removed ones are kept only for undo). */
  sources: Source[];
  mixer: { channels: MixerChannel[]; state: MixState };
  /** Stems of live sources plus residuals, newest first; fileStatus from a cheap stat (size). */
  stems: (Stem & { fileStatus: FileStatus })[];
  analyses: Analysis[];
  exportSettings: ExportSettings;
  /** Jobs still queued or running, plus the last few finished ones. */
  jobs: JobRecord[];
  history: HistoryState;
}
