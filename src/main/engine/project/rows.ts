import { AppError } from '../../../shared/errors';
import { EXPORT_TARGETS, includeKey, type ExportTargetId, type ExportTargetSettings } from '../../../shared/export-targets';
import type { Library } from './db';
import type { SourceClass } from '../../../shared/classes';
import type {
  Analysis,
  AnalysisStatus,
  ExportFormat,
  ExportSettings,
  JobRecord,
  JobState,
  JsonObject,
  JsonValue,
  Media,
  MixerChannel,
  MixerRole,
  SceneSetting,
  MixState,
  Monitor,
  Project,
  Source,
  Stem,
  StemMove,
  StemKind,
} from './types';

/** SQL rows (snake_case, integers for booleans) and their mapping to domain records. */

/** A row asked for by id is gone (deleted, or a stale id from the UI). */
export class NotFoundError extends AppError {
  constructor(what: string, id: number | string) {
    super('not_found', 'That item no longer exists; reload the project.', `${what} ${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

export interface ProjectRow {
  id: number;
  name: string;
  created_at: number;
  updated_at: number;
  last_opened_at: number | null;
}
export const projectFromRow = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastOpenedAt: r.last_opened_at,
});

export interface MediaRow {
  id: number;
  project_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  quick_hash: string;
  probe_json: string;
  added_at: number;
  scene: SceneSetting;
}
export const mediaFromRow = (r: MediaRow): Media => ({
  id: r.id,
  projectId: r.project_id,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  quickHash: r.quick_hash,
  probe: JSON.parse(r.probe_json) as JsonObject,
  addedAt: r.added_at,
  scene: r.scene,
});

export interface SourceRow {
  id: number;
  project_id: number;
  media_id: number;
  ord: number;
  name: string;
  colour: string;
  time_sec: number | null;
  x: number | null;
  y: number | null;
  class_name: string | null;
  created_at: number;
  deleted_at: number | null;
  strength: number;
  moves_json: string;
}
export const sourceFromRow = (r: SourceRow): Source => ({
  id: r.id,
  projectId: r.project_id,
  mediaId: r.media_id,
  index: r.ord,
  name: r.name,
  colour: r.colour,
  timeSec: r.time_sec,
  x: r.x,
  y: r.y,
  // Stored only through checkClassName (sources.ts).
  className: r.class_name as SourceClass | null,
  createdAt: r.created_at,
  deleted: r.deleted_at !== null,
  strength: r.strength,
  moves: JSON.parse(r.moves_json) as StemMove[],
});
export function getSourceRow(lib: Library, projectId: number, id: number): SourceRow | undefined {
  return lib.db.prepare('SELECT * FROM sources WHERE id = ? AND project_id = ?').get(id, projectId) as SourceRow | undefined;
}

export interface AnalysisRow {
  id: number;
  media_id: number;
  kind: string;
  model_id: string;
  model_version: string;
  params_json: string;
  cache_path: string | null;
  status: AnalysisStatus;
  error: string | null;
  created_at: number;
  updated_at: number;
}
export const analysisFromRow = (r: AnalysisRow): Analysis => ({
  id: r.id,
  mediaId: r.media_id,
  kind: r.kind,
  modelId: r.model_id,
  modelVersion: r.model_version,
  params: JSON.parse(r.params_json) as JsonObject,
  cachePath: r.cache_path,
  status: r.status,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface JobRow {
  id: string;
  project_id: number | null;
  media_id: number | null;
  kind: string;
  state: JobState;
  stage: string;
  progress: number;
  eta_sec: number | null;
  error_message: string | null;
  error_detail: string | null;
  params_json: string;
  result_json: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}
export const jobFromRow = (r: JobRow): JobRecord => ({
  id: r.id,
  projectId: r.project_id,
  mediaId: r.media_id,
  kind: r.kind,
  state: r.state,
  stage: r.stage,
  progress: r.progress,
  etaSec: r.eta_sec,
  errorMessage: r.error_message,
  errorDetail: r.error_detail,
  params: JSON.parse(r.params_json) as JsonValue,
  result: r.result_json === null ? null : (JSON.parse(r.result_json) as JsonValue),
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

export interface StemRow {
  id: number;
  project_id: number;
  media_id: number;
  job_id: string | null;
  source_id: number | null;
  kind: StemKind;
  path: string;
  bytes: number;
  sha256: string;
  model_id: string;
  model_version: string;
  params_json: string;
  sample_rate: number;
  channels: number;
  frames: number;
  start_frame: number;
  preview: number;
  created_at: number;
}
export const stemFromRow = (r: StemRow): Stem => ({
  id: r.id,
  projectId: r.project_id,
  mediaId: r.media_id,
  jobId: r.job_id,
  sourceId: r.source_id,
  kind: r.kind,
  path: r.path,
  bytes: r.bytes,
  sha256: r.sha256,
  modelId: r.model_id,
  modelVersion: r.model_version,
  params: JSON.parse(r.params_json) as JsonObject,
  sampleRate: r.sample_rate,
  channels: r.channels,
  frames: r.frames,
  startFrame: r.start_frame,
  preview: r.preview === 1,
  createdAt: r.created_at,
});

export interface MixerRow {
  id: number;
  project_id: number;
  role: MixerRole;
  source_id: number | null;
  gain_db: number;
  pan: number;
  mute: number;
  solo: number;
}
export const mixerFromRow = (r: MixerRow): MixerChannel => ({
  id: r.id,
  projectId: r.project_id,
  role: r.role,
  sourceId: r.source_id,
  gainDb: r.gain_db,
  pan: r.pan,
  mute: r.mute === 1,
  solo: r.solo === 1,
});
export function getMixerChannel(lib: Library, projectId: number, id: number): MixerChannel {
  const row = lib.db.prepare('SELECT * FROM mixer_channels WHERE id = ? AND project_id = ?').get(id, projectId) as MixerRow | undefined;
  if (!row) throw new NotFoundError('mixer channel', id);
  return mixerFromRow(row);
}
export function getMixState(lib: Library, projectId: number): MixState {
  const row = lib.db.prepare('SELECT master_gain_db, monitor FROM mix_state WHERE project_id = ?').get(projectId) as
    | { master_gain_db: number; monitor: Monitor }
    | undefined;
  if (!row) throw new NotFoundError('project', projectId);
  return { masterGainDb: row.master_gain_db, monitor: row.monitor };
}

/** Column of an export target's on/off setting (0 or 1). */
export const includeColumn = <Id extends ExportTargetId>(id: Id) => `include_${id}` as const;

export type ExportRow = {
  format: ExportFormat;
  sample_rate: number | null;
  naming_template: string;
  folder: string | null;
} & { [Id in ExportTargetId as ReturnType<typeof includeColumn<Id>>]: number };

export const exportFromRow = (r: ExportRow): ExportSettings => ({
  format: r.format,
  sampleRate: r.sample_rate,
  namingTemplate: r.naming_template,
  folder: r.folder,
  ...(Object.fromEntries(EXPORT_TARGETS.map((t) => [includeKey(t.id), r[includeColumn(t.id)] === 1])) as ExportTargetSettings),
});
