/**
 * What the data folder no longer needs: the files of a removed project, stems no project shows any
 * more, run folders nothing points at, temp files of processes that are gone, and analyses beyond
 * the cache limit. Only files inside Stemsight's own folders are ever removed.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Library } from './engine/project/db';
import { listStems, removeStems } from './engine/project/stems';
import { listMedia } from './engine/project/media';
import { isInside } from './engine/fs/paths';
import { sweepOrphanTemps } from './engine/fs/sweep';
import { pruneAnalysisCaches } from './engine/analysis/cache';

export interface DataFolders {
  dataDir: string;
  /** Analyses (features and heatmaps), shared with the CLI. */
  analysisCacheDir: string;
}

const stemsRoot = (dataDir: string) => path.join(dataDir, 'stems');

function removeInside(root: string, file: string): void {
  if (isInside(path.resolve(file), path.resolve(root))) rmSync(file, { recursive: true, force: true });
}

/** Files a project's media left in the app cache (decoded original, waveform peaks): keyed "<mediaId>-". */
export function mediaCacheFiles(cacheDir: string, mediaIds: readonly number[]): string[] {
  const out: string[] = [];
  for (const sub of ['original', 'peaks']) {
    let names: string[] = [];
    try {
      names = readdirSync(path.join(cacheDir, sub));
    } catch {
      continue;
    }
    for (const n of names) if (mediaIds.some((id) => n.startsWith(`${id}-`))) out.push(path.join(cacheDir, sub, n));
  }
  return out;
}

/** Media ids of a project, read before it is deleted. */
export const projectMediaIds = (lib: Library, projectId: number): number[] => listMedia(lib, projectId).map((m) => m.id);

/**
 * After deleteProject: remove the project's stems folder and its media's cached files, and the
 * analyses no other project's media uses (deleteProject returned their meta.json paths).
 */
export function removeProjectFiles(lib: Library, folders: DataFolders, projectId: number, mediaIds: readonly number[], leftBehind: readonly string[]): void {
  removeInside(stemsRoot(folders.dataDir), path.join(stemsRoot(folders.dataDir), String(projectId)));
  for (const f of mediaCacheFiles(path.join(folders.dataDir, 'cache'), mediaIds)) removeInside(folders.dataDir, f);
  for (const f of leftBehind) {
    if (path.basename(f) === 'meta.json') {
      const stillUsed = lib.db.prepare('SELECT count(*) FROM analyses WHERE cache_path = ?').pluck().get(f) as number;
      if (!stillUsed) removeInside(folders.analysisCacheDir, path.dirname(f));
    } else {
      removeInside(folders.dataDir, f);
    }
  }
}

/**
 * Stems nothing shows any more: older separations of a source (or of the residual) than its newest,
 * and previews a newer whole-file stem replaced. Forgets their rows and returns their paths.
 */
export function forgetSupersededStems(lib: Library, projectId: number): string[] {
  const seen = new Set<string>();
  const hasWhole = new Set<string>();
  const old: number[] = [];
  for (const s of listStems(lib, projectId)) {
    const owner = String(s.sourceId ?? 'residual');
    const key = `${owner}:${s.preview}`;
    if (seen.has(key) || (s.preview && hasWhole.has(owner))) old.push(s.id);
    else seen.add(key);
    if (!s.preview) hasWhole.add(owner);
  }
  return removeStems(lib, projectId, old);
}

/**
 * At start-up, with the data folder locked and no job running: everything above, plus run folders
 * no stem row points at (a run killed before it was recorded) and the stems folders of projects
 * that no longer exist. Returns how many files or folders went.
 */
export async function tidyDataFolder(lib: Library, folders: DataFolders, cacheLimitBytes: number): Promise<{ removed: number; bytes: number }> {
  const swept = await sweepOrphanTemps(folders.dataDir, 3);
  const sweptCache = await sweepOrphanTemps(folders.analysisCacheDir);
  let removed = swept.removed.length + sweptCache.removed.length;
  const projects = new Set(lib.db.prepare('SELECT id FROM projects').pluck().all() as number[]);
  for (const id of projects) {
    for (const f of forgetSupersededStems(lib, id)) {
      removeInside(stemsRoot(folders.dataDir), f);
      removed++;
    }
  }
  const used = new Set((lib.db.prepare('SELECT path FROM stems').pluck().all() as string[]).map((p) => path.dirname(p)));
  let projectDirs: string[] = [];
  try {
    projectDirs = readdirSync(stemsRoot(folders.dataDir));
  } catch {
    // no stems yet
  }
  for (const name of projectDirs) {
    const dir = path.join(stemsRoot(folders.dataDir), name);
    if (!/^\d+$/.test(name) || !projects.has(Number(name))) {
      removeInside(stemsRoot(folders.dataDir), dir);
      removed++;
      continue;
    }
    for (const run of readdirSync(dir)) {
      if (run.startsWith('.')) continue; // temp folders: the sweep's business
      if (!used.has(path.join(dir, run))) {
        removeInside(dir, path.join(dir, run));
        removed++;
      }
    }
  }
  const pruned = await pruneAnalysisCaches(folders.analysisCacheDir, cacheLimitBytes);
  return { removed: removed + pruned.length, bytes: swept.bytes + sweptCache.bytes + pruned.reduce((n, e) => n + e.bytes, 0) };
}
