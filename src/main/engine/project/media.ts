import { statSync } from 'node:fs';
import path from 'node:path';
import { tx, type Library } from './db';
import { mediaFromRow, NotFoundError, type MediaRow } from './rows';
import { check } from './validate';
import { SCENE_SETTINGS, type FileStatus, type JsonObject, type JsonValue, type Media, type MediaFingerprint, type SceneSetting } from './types';

export { fingerprintFile } from './fingerprint';

/**
 * What the app reads from a media file's stored probe, parsed in this one place. The stored JSON
 * is whatever the probe returned when the file was added, so every field is checked and missing
 * ones are null (duration 0, no streams).
 */
export interface MediaFacts {
  durationSec: number;
  hasVideo: boolean;
  hasAudio: boolean;
  width: number | null;
  height: number | null;
  fps: number | null;
  sampleRate: number | null;
  channels: number | null;
}

export function mediaFacts(m: Pick<Media, 'probe'>): MediaFacts {
  const p = m.probe;
  const num = (x: JsonValue | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    durationSec: num(p.durationSec) ?? 0,
    hasVideo: p.hasVideo === true,
    hasAudio: p.hasAudio === true,
    width: num(p.width),
    height: num(p.height),
    fps: num(p.fps),
    sampleRate: num(p.sampleRate),
    channels: num(p.channels),
  };
}

export interface AddMediaInput {
  projectId: number;
  path: string;
  fingerprint: MediaFingerprint;
  /** The probe result (duration, streams, fps, rate, channels) as JSON. */
  probe: JsonObject;
}

export function addMedia(lib: Library, input: AddMediaInput): Media {
  check(path.isAbsolute(input.path), 'Media path must be absolute');
  return tx(lib, () => {
    const now = lib.now();
    const { fingerprint: f } = input;
    const id = Number(
      lib.db
        .prepare(
          'INSERT INTO media (project_id, path, size, mtime_ms, quick_hash, probe_json, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(input.projectId, input.path, f.size, Math.floor(f.mtimeMs), f.quickHash, JSON.stringify(input.probe), now).lastInsertRowid,
    );
    lib.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, input.projectId);
    return getMedia(lib, id);
  });
}

export function getMedia(lib: Library, id: number): Media {
  const row = lib.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRow | undefined;
  if (!row) throw new NotFoundError('media', id);
  return mediaFromRow(row);
}

export function listMedia(lib: Library, projectId: number): Media[] {
  return (lib.db.prepare('SELECT * FROM media WHERE project_id = ? ORDER BY id').all(projectId) as MediaRow[]).map(mediaFromRow);
}

/** What the user says the media's picture is (see SceneSetting); not an undo step: it only picks the analysis. */
export function setMediaScene(lib: Library, id: number, scene: SceneSetting): Media {
  check(SCENE_SETTINGS.includes(scene), `scene must be one of ${SCENE_SETTINGS.join(', ')}`);
  return tx(lib, () => {
    const { changes } = lib.db.prepare('UPDATE media SET scene = ? WHERE id = ?').run(scene, id);
    if (changes !== 1) throw new NotFoundError('media', id);
    return getMedia(lib, id);
  });
}

/** Point a media row at a moved file (same content), e.g. after the user locates it again. */
export function relinkMedia(lib: Library, id: number, newPath: string, fingerprint: MediaFingerprint): Media {
  check(path.isAbsolute(newPath), 'Media path must be absolute');
  const media = getMedia(lib, id);
  check(media.quickHash === fingerprint.quickHash && media.size === fingerprint.size, 'That file is not the same media; open it as a new project instead');
  lib.db.prepare('UPDATE media SET path = ?, mtime_ms = ? WHERE id = ?').run(newPath, Math.floor(fingerprint.mtimeMs), id);
  return getMedia(lib, id);
}

/** Stat-only check: 'changed' when size or mtime differ from what was recorded. */
export function mediaFileStatus(media: Pick<Media, 'path' | 'size' | 'mtimeMs'>): FileStatus {
  try {
    const st = statSync(media.path);
    if (!st.isFile()) return 'missing';
    return st.size === media.size && Math.floor(st.mtimeMs) === media.mtimeMs ? 'ok' : 'changed';
  } catch {
    return 'missing';
  }
}
