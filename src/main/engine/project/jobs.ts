import type { Library } from './db';
import { jobFromRow, NotFoundError, type JobRow } from './rows';
import type { JobRecord, JobState, JsonValue } from './types';
import type { JobStore, JobUpdate } from '../jobs/store';

export type { JobUpdate } from '../jobs/store';

/** Persistence of job records; the JobRunner (engine/jobs) is the only writer while the app runs. */

export const INTERRUPTED_MESSAGE = 'This job was interrupted when Stemsight closed unexpectedly; run it again.';

export interface InsertJobInput {
  id: string;
  kind: string;
  projectId?: number | null;
  mediaId?: number | null;
  params: JsonValue;
}

export function insertJob(lib: Library, input: InsertJobInput): JobRecord {
  const now = lib.now();
  lib.db
    .prepare(
      `INSERT INTO jobs (id, project_id, media_id, kind, state, params_json, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`,
    )
    .run(input.id, input.projectId ?? null, input.mediaId ?? null, input.kind, JSON.stringify(input.params ?? null), now, now);
  return getJob(lib, input.id);
}

export function updateJob(lib: Library, id: string, update: JobUpdate): void {
  const map: [keyof JobUpdate, string][] = [
    ['state', 'state'],
    ['stage', 'stage'],
    ['progress', 'progress'],
    ['etaSec', 'eta_sec'],
    ['errorMessage', 'error_message'],
    ['errorDetail', 'error_detail'],
    ['startedAt', 'started_at'],
    ['finishedAt', 'finished_at'],
  ];
  const sets = ['updated_at = ?'];
  const values: unknown[] = [lib.now()];
  for (const [key, column] of map) {
    if (update[key] === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(key === 'progress' ? Math.min(1, Math.max(0, update.progress as number)) : update[key]);
  }
  if (update.result !== undefined) {
    sets.push('result_json = ?');
    values.push(update.result === null ? null : JSON.stringify(update.result));
  }
  const { changes } = lib.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  if (changes !== 1) throw new NotFoundError('job', id);
}

export function getJob(lib: Library, id: string): JobRecord {
  const row = lib.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  if (!row) throw new NotFoundError('job', id);
  return jobFromRow(row);
}

export function findJob(lib: Library, id: string): JobRecord | null {
  const row = lib.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row ? jobFromRow(row) : null;
}

/** Newest first. */
export function listJobs(lib: Library, filter: { projectId?: number; states?: readonly JobState[]; limit?: number } = {}): JobRecord[] {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.projectId !== undefined) {
    where.push('project_id = ?');
    values.push(filter.projectId);
  }
  if (filter.states && filter.states.length > 0) {
    where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
    values.push(...filter.states);
  }
  const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
  return (lib.db.prepare(sql).all(...values, filter.limit ?? 200) as JobRow[]).map(jobFromRow);
}

/**
 * Jobs left queued or running by a process that died: mark them failed so the UI offers a re-run
 * instead of waiting forever. Call once at start-up, before any job starts. Returns how many.
 */
export function markInterruptedJobs(lib: Library): number {
  const now = lib.now();
  return lib.db
    .prepare(
      `UPDATE jobs SET state = 'failed', error_message = ?, error_detail = 'state was ' || state || ' at start-up',
              eta_sec = NULL, finished_at = ?, updated_at = ?
       WHERE state IN ('queued', 'running')`,
    )
    .run(INTERRUPTED_MESSAGE, now, now).changes;
}

/** The JobRunner's store on this library (main thread only). */
export function libraryJobStore(lib: Library): JobStore {
  return {
    insert: (job) => void insertJob(lib, job),
    update: (id, update) => updateJob(lib, id, update),
    markInterrupted: () => markInterruptedJobs(lib),
  };
}
