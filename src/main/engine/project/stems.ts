import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { tx, type Library } from './db';
import { NotFoundError, stemFromRow, type StemRow } from './rows';
import { AppError } from '../../../shared/errors';
import { check } from './validate';
import type { FileStatus, JsonObject, Stem, StemKind } from './types';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The file is not (or no longer) the complete stem the caller claims; nothing was recorded. */
export class StemFileError extends AppError {
  constructor(message: string) {
    super('media_error', message);
    this.name = 'StemFileError';
  }
}

export interface RecordStemInput {
  projectId: number;
  mediaId: number;
  jobId?: string | null;
  /** null for the residual (everything not selected). */
  sourceId: number | null;
  kind: StemKind;
  /** Absolute path of the finished file (already renamed into place by the atomic writer). */
  path: string;
  /** sha256 the writer computed over the bytes it wrote. */
  sha256: string;
  modelId: string;
  modelVersion?: string;
  params?: JsonObject;
  sampleRate: number;
  channels: number;
  frames: number;
  startFrame?: number;
  preview?: boolean;
}

/**
 * Record a finished stem. "The database only points at complete files": the row is written only
 * if the file exists under its final name and its bytes hash to the checksum the writer computed
 * while writing. A partial, truncated or temp file is refused with StemFileError.
 */
export async function recordStem(lib: Library, input: RecordStemInput): Promise<Stem> {
  check(path.isAbsolute(input.path), 'Stem path must be absolute');
  check(/^[0-9a-f]{64}$/.test(input.sha256), 'Stem checksum must be a lower-case sha256 hex string');
  check((input.kind === 'source') === (input.sourceId !== null), 'A source stem needs its source; a residual has none');
  check(Number.isInteger(input.sampleRate) && input.sampleRate > 0, 'Sample rate must be a positive integer');
  check(Number.isInteger(input.channels) && input.channels > 0, 'Channel count must be a positive integer');
  check(Number.isInteger(input.frames) && input.frames >= 0, 'Frame count must be a whole number');
  if (path.basename(input.path).endsWith('.partial')) throw new StemFileError(`${input.path} is a temporary file, not a finished stem`);
  let before;
  try {
    before = await fsp.stat(input.path);
  } catch {
    throw new StemFileError(`Stem file ${input.path} does not exist`);
  }
  if (!before.isFile() || before.size === 0) throw new StemFileError(`Stem file ${input.path} is empty or not a file`);
  const actual = await sha256File(input.path);
  const after = await fsp.stat(input.path);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw new StemFileError(`Stem file ${input.path} changed while it was checked`);
  if (actual !== input.sha256) throw new StemFileError(`Stem file ${input.path} does not match its checksum (incomplete or overwritten)`);
  return tx(lib, () => {
    const id = Number(
      lib.db
        .prepare(
          `INSERT INTO stems (project_id, media_id, job_id, source_id, kind, path, bytes, sha256, model_id, model_version,
                              params_json, sample_rate, channels, frames, start_frame, preview, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.projectId,
          input.mediaId,
          input.jobId ?? null,
          input.sourceId,
          input.kind,
          input.path,
          after.size,
          actual,
          input.modelId,
          input.modelVersion ?? '',
          JSON.stringify(input.params ?? {}),
          input.sampleRate,
          input.channels,
          input.frames,
          input.startFrame ?? 0,
          input.preview ? 1 : 0,
          lib.now(),
        ).lastInsertRowid,
    );
    lib.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(lib.now(), input.projectId);
    return getStem(lib, id);
  });
}

export function getStem(lib: Library, id: number): Stem {
  const row = lib.db.prepare('SELECT * FROM stems WHERE id = ?').get(id) as StemRow | undefined;
  if (!row) throw new NotFoundError('stem', id);
  return stemFromRow(row);
}

/**
 * Stems of a project, newest first. latestOnly keeps, per (source or residual, preview flag), only
 * the newest, which is what the editor shows once re-separation has produced new files.
 */
export function listStems(lib: Library, projectId: number, options: { latestOnly?: boolean } = {}): Stem[] {
  const rows = lib.db.prepare('SELECT * FROM stems WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId) as StemRow[];
  const stems = rows.map(stemFromRow);
  if (!options.latestOnly) return stems;
  const seen = new Set<string>();
  return stems.filter((s) => {
    const key = `${s.sourceId ?? 'residual'}:${s.preview}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Forget stems (e.g. superseded previews). Returns their paths; deleting the files is the caller's call. */
export function removeStems(lib: Library, projectId: number, ids: readonly number[]): string[] {
  return tx(lib, () =>
    ids.flatMap((id) => {
      const row = lib.db.prepare('DELETE FROM stems WHERE id = ? AND project_id = ? RETURNING path').get(id, projectId) as { path: string } | undefined;
      return row ? [row.path] : [];
    }),
  );
}

/** Cheap check for the snapshot: present with the recorded size. */
export function stemFileStatus(stem: Pick<Stem, 'path' | 'bytes'>): FileStatus {
  try {
    const st = statSync(stem.path);
    return st.isFile() && st.size === stem.bytes ? 'ok' : 'changed';
  } catch {
    return 'missing';
  }
}

/** Full check by hash, for export or before trusting a file that may have been touched. */
export async function verifyStem(lib: Library, id: number): Promise<FileStatus> {
  const stem = getStem(lib, id);
  const quick = stemFileStatus(stem);
  if (quick !== 'ok') return quick;
  return (await sha256File(stem.path)) === stem.sha256 ? 'ok' : 'changed';
}
