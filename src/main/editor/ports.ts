/**
 * What the editor services need from the outside world, as small typed ports: the project
 * database, the job runner, a few engine operations on files, the export folder rules and an
 * event sink. adapters.ts binds them to the real engine; unit tests pass fakes.
 */
import type { ExportSettings, HistoryState, Media, MixerChannel, MixState, Monitor, Project, SceneSetting, Source, Stem } from '../engine/project/types';
import type { MediaFacts } from '../engine/project/media';
import type { RecordStemInput } from '../engine/project/stems';
import type { IndexSnapshot } from '../engine/analysis/index-records';
import type { MixInput } from '../engine/export/loudness';
import type { ExportRange } from '../engine/export/params';
import type { LoudnessReading } from '../../shared/loudness';
import type { SpectrogramImage, SpectrogramRequest } from '../engine/media/spectrogram';
import type { DetectionsView } from '../../shared/contract';

export interface MixerSet {
  gainDb?: number;
  pan?: number;
  mute?: boolean;
  solo?: boolean;
}

/** A media row with its probe read once (duration, streams, rate). */
export type EditorMedia = Media & { facts: MediaFacts };

/** The analyses-table row of the shipped model's features for one media file. */
export interface AnalysisRecord {
  status: 'pending' | 'ready' | 'failed';
  /** The cache's meta.json once ready. */
  cachePath: string | null;
}

/**
 * The project database as the editor sees it. Every edit is its own transaction (so everything
 * autosaves); a missing row or bad input comes back as an AppError the user can act on.
 */
export interface EditorStore {
  project(projectId: number): Project;
  /** The project's media file (one per project). */
  media(projectId: number): EditorMedia;
  sources(projectId: number): Source[];
  channels(projectId: number): MixerChannel[];
  mixState(projectId: number): MixState;
  stems(projectId: number): Stem[];
  stem(stemId: number): Stem | null;
  history(projectId: number): HistoryState;
  exportSettings(projectId: number): ExportSettings;
  /** Shipped-model analysis of this media, from the analyses table; null when never started. */
  analysis(mediaId: number): Promise<AnalysisRecord | null>;
  /** The media's ready analyses, handed to analysis and separation jobs: workers never open the database. */
  analysisIndex(mediaId: number): IndexSnapshot;
  /** State of the newest job of this kind for the media (jobs table); null when none ran. */
  lastJobState(kind: string, mediaId: number): string | null;
  /** Result of the newest finished analysis job of the media (jobs table); null when none finished. */
  lastAnalysisResult(mediaId: number): unknown;
  /** What the user says the media's picture is (Auto / Synthetic scene / Real footage). */
  setScene(projectId: number, scene: SceneSetting): void;

  /** A source by its click point, its class name, or both (AddSourceInput's rules). */
  addSource(input: { projectId: number; mediaId: number; x?: number; y?: number; timeSec?: number; className?: string }): void;
  /** Say what the source is (a class name or a word for one), or null to forget it. */
  setSourceClass(projectId: number, sourceId: number, className: string | null): void;
  renameSource(projectId: number, sourceId: number, name: string): void;
  removeSource(projectId: number, sourceId: number): void;
  /** The source is now what is at (x, y) at timeSec (a drag of its marker: one undo step). */
  moveSource(projectId: number, sourceId: number, to: { x: number; y: number; timeSec: number }): void;
  /** How much of the rest of the mix the source's stem keeps out (a drag: one undo step). */
  setSourceStrength(projectId: number, sourceId: number, strength: number): void;
  /** Move a time range of the source's stem to another source (its id) or the residual (null); undoable. */
  moveStemRange(projectId: number, sourceId: number, range: { startSec: number; endSec: number; to: number | null }): void;
  setMixer(projectId: number, channelId: number, set: MixerSet): void;
  /** Turn every channel but this source's down by duckDb (one undo step). */
  duck(projectId: number, sourceId: number, duckDb: number): void;
  setMonitor(projectId: number, monitor: Monitor): void;
  undo(projectId: number): void;
  redo(projectId: number): void;
  setExportSettings(projectId: number, patch: Partial<ExportSettings>): void;
  recordStem(input: RecordStemInput): Promise<void>;
  /** Forget stems; returns their files (deleting them is the caller's call). */
  removeStems(projectId: number, stemIds: number[]): string[];
}

export interface JobOutcome {
  state: 'done' | 'failed' | 'cancelled' | 'queued' | 'running';
  result: unknown;
}

export interface JobStartOptions {
  projectId: number;
  mediaId: number;
  /** Higher runs first among queued jobs. */
  priority?: number;
}

/** The job runner (engine/jobs): heavy work in worker threads. */
export interface EditorJobs {
  start(kind: 'analysis' | 'separation' | 'stem-edit' | 'export', params: object, options: JobStartOptions): string;
  /** Resolves with the final outcome; never rejects. */
  wait(jobId: string): Promise<JobOutcome>;
  cancel(jobId: string): boolean;
  /** Ids of this kind's queued or running jobs for the project or media. */
  active(kind: string, filter: { projectId?: number; mediaId?: number }): string[];
}

/** The analysis cache's heatmaps on the original frame's grid. */
export interface HeatmapReader {
  frames: number;
  fps: number;
  rows: number;
  cols: number;
  /** Frames first..first+count-1, each rows*cols bytes (0..255), back to back. */
  read(first: number, count: number): Promise<Uint8Array>;
  close(): void;
}

export interface PeaksData {
  peaksPerSecond: number;
  durationSec: number;
  length: number;
  /** Interleaved min/max per bucket. */
  data: Float32Array;
}

/** File work the editor asks of the engine. */
export interface EditorEngine {
  isFile(file: string): Promise<boolean>;
  /** Delete a folder of stems and everything in it. */
  removeDir(dir: string): Promise<void>;
  sha256(file: string): Promise<string>;
  /** Decode the media's audio to a float WAV at `file` (atomically: no partial file remains). */
  decodeToWav(media: string, file: string, format: { sampleRate: number; channels: number }): Promise<void>;
  peaks(file: string, peaksPerSecond: number): Promise<PeaksData>;
  spectrogram(file: string, req: SpectrogramRequest): Promise<SpectrogramImage>;
  /** BS.1770 loudness of the stereo mix of these stems at these levels (streamed). */
  mixLoudness(stems: MixInput[]): Promise<LoudnessReading & { durationSec: number }>;
  /** The detections cache file as tracks over time; null when it is gone or unreadable. */
  detectionTracks(file: string): Promise<DetectionsView | null>;
  /** Null when the cache is gone or unreadable. */
  openHeatmaps(metaPath: string): Promise<HeatmapReader | null>;
  /** The project's folder inside parent (named for the range when given); conflict when it exists and ifExists is 'ask'. */
  /** problem: a file or a link sits where the folder would go (never replaced). */
  planExportFolder(
    parent: string,
    projectName: string,
    ifExists: 'ask' | 'replace' | 'new',
    range?: ExportRange,
  ): Promise<{ folder: string; conflict: boolean; problem?: string }>;
}

/**
 * Where exports may go. Decided once when the services are wired, from the transport: the
 * desktop app takes folders only from its own dialog; the browser types them, so they must be
 * inside the allowed roots.
 */
export interface ExportFolders {
  /** Folder to suggest when none is set: the media's folder when allowed, else the first root. */
  suggest(mediaDir: string): string | null;
  /** Check a folder typed into the settings; throws AppError when it may not be used. */
  fromSettings(input: string): Promise<string>;
  /** Resolve the folder an export writes into (settings or suggestion). */
  forExport(chosen: string): Promise<string>;
  /** Folders the export job re-checks its folder against right before writing; null for dialog-picked folders. */
  roots: readonly string[] | null;
  /** Native folder dialog; absent where there is none. */
  dialog?: (suggested: string | null) => Promise<string | null>;
}

/** Tells the UI that a project's stems, analysis or export changed (a job finished). */
export interface EditorEvents {
  changed(projectId: number, what: 'stems' | 'analysis' | 'export', detail?: string): void;
  log(message: string, err?: unknown): void;
}
