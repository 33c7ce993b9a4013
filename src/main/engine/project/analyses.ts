import { statSync } from 'node:fs';
import path from 'node:path';
import { tx, type Library } from './db';
import { analysisFromRow, NotFoundError, type AnalysisRow } from './rows';
import { check } from './validate';
import type { Analysis, JsonObject, MediaFingerprint } from './types';

export interface AnalysisKey {
  mediaId: number;
  /** e.g. 'visual', 'motion', 'heatmap'. */
  kind: string;
  modelId: string;
  modelVersion: string;
}

export function getAnalysis(lib: Library, key: AnalysisKey): Analysis | null {
  const row = lib.db
    .prepare('SELECT * FROM analyses WHERE media_id = ? AND kind = ? AND model_id = ? AND model_version = ?')
    .get(key.mediaId, key.kind, key.modelId, key.modelVersion) as AnalysisRow | undefined;
  return row ? analysisFromRow(row) : null;
}

/** Ready analyses of one kind for a media, newest first. */
export function readyAnalyses(lib: Library, mediaId: number, kind: string): Analysis[] {
  return (
    lib.db
      .prepare("SELECT * FROM analyses WHERE media_id = ? AND kind = ? AND status = 'ready' AND cache_path IS NOT NULL ORDER BY updated_at DESC")
      .all(mediaId, kind) as AnalysisRow[]
  ).map(analysisFromRow);
}

export function getAnalysisById(lib: Library, id: number): Analysis {
  const row = lib.db.prepare('SELECT * FROM analyses WHERE id = ?').get(id) as AnalysisRow | undefined;
  if (!row) throw new NotFoundError('analysis', id);
  return analysisFromRow(row);
}

/** Start (or restart) an analysis: the row becomes 'pending' with no cache file. */
export function beginAnalysis(lib: Library, key: AnalysisKey, params: JsonObject = {}): Analysis {
  return tx(lib, () => {
    const now = lib.now();
    lib.db
      .prepare(
        `INSERT INTO analyses (media_id, kind, model_id, model_version, params_json, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (media_id, kind, model_id, model_version)
         DO UPDATE SET params_json = excluded.params_json, status = 'pending', cache_path = NULL, error = NULL, updated_at = excluded.updated_at`,
      )
      .run(key.mediaId, key.kind, key.modelId, key.modelVersion, JSON.stringify(params), now, now);
    return getAnalysis(lib, key) as Analysis;
  });
}

/** Mark ready, pointing at a cache file that must already be complete on disk. */
export function completeAnalysis(lib: Library, id: number, cachePath: string): Analysis {
  check(path.isAbsolute(cachePath), 'Cache path must be absolute');
  let ok = false;
  try {
    ok = statSync(cachePath).isFile();
  } catch {
    ok = false;
  }
  check(ok, `Analysis cache ${cachePath} does not exist`);
  const { changes } = lib.db
    .prepare("UPDATE analyses SET status = 'ready', cache_path = ?, error = NULL, updated_at = ? WHERE id = ?")
    .run(cachePath, lib.now(), id);
  if (changes !== 1) throw new NotFoundError('analysis', id);
  return getAnalysisById(lib, id);
}

export function failAnalysis(lib: Library, id: number, error: string): Analysis {
  const { changes } = lib.db
    .prepare("UPDATE analyses SET status = 'failed', cache_path = NULL, error = ?, updated_at = ? WHERE id = ?")
    .run(error, lib.now(), id);
  if (changes !== 1) throw new NotFoundError('analysis', id);
  return getAnalysisById(lib, id);
}

/**
 * A ready analysis of the same file content made for any project (the same clip opened twice),
 * whose cache file still exists; null if none.
 */
export function findReusableAnalysis(lib: Library, fingerprint: MediaFingerprint, key: Omit<AnalysisKey, 'mediaId'>): Analysis | null {
  const rows = lib.db
    .prepare(
      `SELECT a.* FROM analyses a JOIN media m ON m.id = a.media_id
       WHERE m.quick_hash = ? AND m.size = ? AND a.kind = ? AND a.model_id = ? AND a.model_version = ? AND a.status = 'ready'
       ORDER BY a.updated_at DESC`,
    )
    .all(fingerprint.quickHash, fingerprint.size, key.kind, key.modelId, key.modelVersion) as AnalysisRow[];
  for (const row of rows) {
    try {
      if (row.cache_path && statSync(row.cache_path).isFile()) return analysisFromRow(row);
    } catch {
      // cache file gone: try the next one
    }
  }
  return null;
}

export function listAnalysesForProject(lib: Library, projectId: number): Analysis[] {
  return (
    lib.db
      .prepare('SELECT a.* FROM analyses a JOIN media m ON m.id = a.media_id WHERE m.project_id = ? ORDER BY a.id')
      .all(projectId) as AnalysisRow[]
  ).map(analysisFromRow);
}
