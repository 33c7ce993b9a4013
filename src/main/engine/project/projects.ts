import { tx, type Library } from './db';
import { historyState } from './history';
import { addMedia, listMedia, mediaFileStatus, type AddMediaInput } from './media';
import { listSources } from './sources';
import { listMixerChannels } from './mixer';
import { listStems, stemFileStatus } from './stems';
import { listAnalysesForProject } from './analyses';
import { listJobs } from './jobs';
import { getExportSettings } from './export-settings';
import { getMixState, NotFoundError, projectFromRow, type ProjectRow } from './rows';
import { checkName } from './validate';
import type { Project, ProjectSnapshot, RecentProject } from './types';

/**
 * Create a project with its default mixer, master and export settings; with `media`, the media row
 * is added in the same transaction (no project without its file after a crash).
 */
export function createProject(lib: Library, input: { name: string; media?: Omit<AddMediaInput, 'projectId'> }): Project {
  const name = checkName(input.name, 'Project name');
  return tx(lib, () => {
    const now = lib.now();
    const id = Number(
      lib.db.prepare('INSERT INTO projects (name, created_at, updated_at, last_opened_at) VALUES (?, ?, ?, ?)').run(name, now, now, now)
        .lastInsertRowid,
    );
    lib.db.prepare('INSERT INTO mix_state (project_id) VALUES (?)').run(id);
    lib.db.prepare('INSERT INTO export_settings (project_id) VALUES (?)').run(id);
    const channel = lib.db.prepare('INSERT INTO mixer_channels (project_id, role) VALUES (?, ?)');
    channel.run(id, 'residual');
    channel.run(id, 'original');
    if (input.media) addMedia(lib, { ...input.media, projectId: id });
    return getProject(lib, id);
  });
}

export function getProject(lib: Library, id: number): Project {
  const row = lib.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow | undefined;
  if (!row) throw new NotFoundError('project', id);
  return projectFromRow(row);
}

export function renameProject(lib: Library, id: number, name: string): Project {
  const clean = checkName(name, 'Project name');
  const { changes } = lib.db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(clean, lib.now(), id);
  if (changes !== 1) throw new NotFoundError('project', id);
  return getProject(lib, id);
}

/** Delete a project and everything in it. Returns stem and analysis cache files the caller may remove. */
export function deleteProject(lib: Library, id: number): string[] {
  return tx(lib, () => {
    const files = lib.db
      .prepare(
        `SELECT path FROM stems WHERE project_id = @id
         UNION SELECT a.cache_path FROM analyses a JOIN media m ON m.id = a.media_id WHERE m.project_id = @id AND a.cache_path IS NOT NULL`,
      )
      .pluck()
      .all({ id }) as string[];
    const { changes } = lib.db.prepare('DELETE FROM projects WHERE id = ?').run(id);
    if (changes !== 1) throw new NotFoundError('project', id);
    return files;
  });
}

/** Most recently opened (or, never opened, edited) first, for the start screen. */
export function listRecentProjects(lib: Library, limit = 10): RecentProject[] {
  const rows = lib.db
    .prepare(
      `SELECT p.*,
              (SELECT path FROM media m WHERE m.project_id = p.id ORDER BY m.id LIMIT 1) AS media_path,
              (SELECT count(*) FROM sources s WHERE s.project_id = p.id AND s.deleted_at IS NULL) AS source_count
       FROM projects p
       ORDER BY coalesce(p.last_opened_at, p.updated_at) DESC, p.id DESC
       LIMIT ?`,
    )
    .all(Math.max(1, Math.floor(limit))) as (ProjectRow & { media_path: string | null; source_count: number })[];
  return rows.map((r) => ({ ...projectFromRow(r), mediaPath: r.media_path, sourceCount: r.source_count }));
}

/** Projects holding a media file at this path (or, given a fingerprint, with the same content), recent first. */
export function findProjectsByMedia(lib: Library, query: { path?: string; quickHash?: string; size?: number }): Project[] {
  const rows = lib.db
    .prepare(
      `SELECT DISTINCT p.* FROM projects p JOIN media m ON m.project_id = p.id
       WHERE (@path IS NOT NULL AND m.path = @path) OR (@hash IS NOT NULL AND m.quick_hash = @hash AND m.size = @size)
       ORDER BY coalesce(p.last_opened_at, p.updated_at) DESC, p.id DESC`,
    )
    .all({ path: query.path ?? null, hash: query.quickHash ?? null, size: query.size ?? null }) as ProjectRow[];
  return rows.map(projectFromRow);
}

export function markProjectOpened(lib: Library, id: number): void {
  const { changes } = lib.db.prepare('UPDATE projects SET last_opened_at = ? WHERE id = ?').run(lib.now(), id);
  if (changes !== 1) throw new NotFoundError('project', id);
}

/**
 * Everything the editor needs to restore a project exactly as it was left. Marks the project as
 * opened (recent list) unless told not to. File checks are stats, never hashes, so this stays fast.
 */
export function openProject(lib: Library, id: number, options: { markOpened?: boolean; finishedJobs?: number } = {}): ProjectSnapshot {
  const snapshot = lib.db
    .transaction(() => {
      if (options.markOpened !== false) markProjectOpened(lib, id);
      const project = getProject(lib, id);
      const sources = listSources(lib, id);
      const live = new Set(sources.map((s) => s.id));
      const jobs = listJobs(lib, { projectId: id });
      const active = jobs.filter((j) => j.state === 'queued' || j.state === 'running');
      const finished = jobs.filter((j) => j.state !== 'queued' && j.state !== 'running').slice(0, options.finishedJobs ?? 10);
      return {
        project,
        media: listMedia(lib, id),
        sources,
        mixer: {
          channels: listMixerChannels(lib, id).filter((c) => c.sourceId === null || live.has(c.sourceId)),
          state: getMixState(lib, id),
        },
        stems: listStems(lib, id).filter((s) => s.sourceId === null || live.has(s.sourceId)),
        analyses: listAnalysesForProject(lib, id),
        exportSettings: getExportSettings(lib, id),
        jobs: [...active, ...finished],
        history: historyState(lib, id),
      };
    })
    .immediate();
  return {
    ...snapshot,
    media: snapshot.media.map((m) => ({ ...m, fileStatus: mediaFileStatus(m) })),
    stems: snapshot.stems.map((s) => ({ ...s, fileStatus: stemFileStatus(s) })),
  };
}
