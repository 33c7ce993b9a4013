/**
 * Wires the real engine and project database into the ports api.ts expects. Shared by the
 * Electron entry (index.ts) and the web entry (server.ts); no electron import here.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openLibrary, type Library } from './engine/project/db';
import { libraryJobStore } from './engine/project/jobs';
import { applyIndexRecord } from './engine/analysis/library-index';
import { isIndexRecord } from './engine/analysis/index-records';
import { createProject, deleteProject, findProjectsByMedia, getProject, listRecentProjects, markProjectOpened } from './engine/project/projects';
import { fingerprintFile, getMedia, listMedia, mediaFacts } from './engine/project/media';
import type { Media } from './engine/project/types';
import { createApi, type Api, type ApiDeps, type MediaRecord, type ProbeResult, type ProjectRecord, type ProjectStore } from './api';
import { defaultPolicy, type AccessPolicy } from './access';
import { engineMedia } from './engine-adapter';
import { JobRunner, type JobSnapshot } from './engine/jobs';
import { createEditor } from './editor';
import { cardOnce, engineFiles, exportFolders, libraryEditorStore, runnerJobs } from './editor/adapters';
import { lockDataFolder } from './data-lock';
import { projectMediaIds, removeProjectFiles, tidyDataFolder, type DataFolders } from './cleanup';
import { defaultCacheRoot } from './engine/analysis/cache';

/** Analyses beyond this (least recently used first) are removed at start-up; STEMSIGHT_CACHE_LIMIT_MB overrides. */
const DEFAULT_CACHE_LIMIT_MB = 10_000;

const isSource = /\.ts$/.test(new URL(import.meta.url).pathname);
/** Job modules: beside this file in source, out/main/jobs/*.js when built (electron.vite.config.ts). */
function jobModule(source: string, built: string): URL {
  return new URL(isSource ? source : built, import.meta.url);
}

/** resources/ is two folders up from both src/main/services.ts and out/main/<entry>.js. */
export function resourcesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
}

export interface Services {
  api: Api;
  library: Library;
  /** Heavy work in worker threads; its state and progress reach the renderer as job.progress. */
  jobs: JobRunner;
  policy: AccessPolicy;
  close(): Promise<void>;
}

export interface ServiceOptions {
  dataDir: string;
  transport: ApiDeps['transport'];
  showOpenDialog?: ApiDeps['showOpenDialog'];
  /** Native folder dialog for exports (Electron). */
  showFolderDialog?: (suggested: string | null) => Promise<string | null>;
  /** Electron-ABI better_sqlite3.node inside Electron; undefined in plain Node. */
  nativeBinding?: string;
  policy?: AccessPolicy;
  log?: ApiDeps['log'];
}

export function appVersion(): string {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const up of ['..', '../..', '../../..']) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(here, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'stemsight' && pkg.version) return pkg.version;
      } catch {
        // keep looking upwards
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

function mediaRecord(m: Media): MediaRecord {
  return { id: m.id, path: m.path, ...mediaFacts(m) };
}

const iso = (ms: number | null): string => new Date(ms ?? 0).toISOString();

/** `folders`: where the project's files live, removed with it (the app); without it only rows go. */
export function libraryStore(lib: Library, folders?: DataFolders): ProjectStore {
  const record = (projectId: number): ProjectRecord | null => {
    let project;
    try {
      project = getProject(lib, projectId);
    } catch {
      return null;
    }
    const media = listMedia(lib, projectId)[0];
    if (!media) return null;
    return {
      id: project.id,
      name: project.name,
      createdAt: iso(project.createdAt),
      updatedAt: iso(project.lastOpenedAt ?? project.updatedAt),
      media: mediaRecord(media),
    };
  };
  return {
    async createProject(name: string, mediaPath: string, probe: ProbeResult) {
      const fingerprint = await fingerprintFile(mediaPath);
      // Project and media row in one transaction: never a project without its file.
      const project = createProject(lib, { name, media: { path: mediaPath, fingerprint, probe: { ...probe } } });
      return record(project.id)!;
    },
    findProjectByMediaPath(mediaPath) {
      const hit = findProjectsByMedia(lib, { path: mediaPath })[0];
      return hit ? record(hit.id) : null;
    },
    getProject: record,
    touchProject(projectId) {
      markProjectOpened(lib, projectId);
    },
    listRecent(limit) {
      return listRecentProjects(lib, limit)
        .map((p) => record(p.id))
        .filter((p): p is ProjectRecord => p !== null);
    },
    removeProject(projectId) {
      let leftBehind: string[];
      const mediaIds = projectMediaIds(lib, projectId);
      try {
        leftBehind = deleteProject(lib, projectId);
      } catch {
        return false;
      }
      if (folders) removeProjectFiles(lib, folders, projectId, mediaIds, leftBehind);
      return true;
    },
    getMedia(mediaId) {
      try {
        return mediaRecord(getMedia(lib, mediaId));
      } catch {
        return null;
      }
    },
  };
}

export async function createServices(opts: ServiceOptions): Promise<Services> {
  // First: a second instance must not touch the first one's jobs or files.
  const releaseLock = lockDataFolder(opts.dataDir);
  try {
    return await startServices(opts, releaseLock);
  } catch (err) {
    releaseLock();
    throw err;
  }
}

async function startServices(opts: ServiceOptions, releaseLock: () => void): Promise<Services> {
  process.once('exit', releaseLock);
  const libraryPath = path.join(opts.dataDir, 'stemsight.db');
  const library = openLibrary(libraryPath, { nativeBinding: opts.nativeBinding });
  const folders: DataFolders = { dataDir: opts.dataDir, analysisCacheDir: defaultCacheRoot() };
  const store = libraryStore(library, folders);
  const policy = opts.policy ?? (await defaultPolicy());
  const jobs = new JobRunner({ store: libraryJobStore(library) });
  jobs.register('analysis', jobModule('./engine/analysis/job.ts', './jobs/analysis.js'), { label: 'Analysis' });
  jobs.register('separation', jobModule('./engine/separation/job.ts', './jobs/separation.js'), { label: 'Separation' });
  jobs.register('stem-edit', jobModule('./engine/stem-edit/job.ts', './jobs/stem-edit.js'), { label: 'Stem edit' });
  jobs.register('export', jobModule('./engine/export/job.ts', './jobs/export.js'), { label: 'Export' });
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(m, e ?? ''));
  // Workers never open the database: what they learn about analysis caches comes back as records.
  jobs.on('record', ({ value }) => {
    try {
      if (isIndexRecord(value)) applyIndexRecord(library, value);
    } catch (err) {
      log('recording an analysis failed', err);
    }
  });
  // eslint-disable-next-line prefer-const
  let api: Api;
  const editor = createEditor({
    store: libraryEditorStore(library, cardOnce()),
    jobs: runnerJobs(jobs),
    engine: engineFiles(),
    events: {
      changed: (projectId, what, detail) => api.emit('project.changed', { projectId, what, ...(detail ? { detail } : {}) }),
      log,
    },
    // Trust is decided here, once: the desktop app's folders come from its own dialog only.
    folders: opts.transport === 'ipc' ? exportFolders(policy, 'dialog', opts.showFolderDialog) : exportFolders(policy, 'typed'),
    dataDir: opts.dataDir,
    cacheDir: path.join(opts.dataDir, 'cache'),
  });
  api = createApi({
    editor,
    demoFile: path.join(resourcesDir(), 'demo', 'demo.mp4'),
    engine: engineMedia(),
    jobs,
    store,
    policy,
    cacheDir: path.join(opts.dataDir, 'cache'),
    transport: opts.transport,
    version: appVersion(),
    showOpenDialog: opts.showOpenDialog,
    log: opts.log,
  });
  const forward = (snap: JobSnapshot, progress?: { stage: string; fraction: number; etaSec: number | null; elapsedSec: number }) =>
    api.emit('job.progress', {
      jobId: snap.id,
      projectId: snap.projectId,
      kind: snap.kind,
      state: snap.state,
      stage: progress?.stage ?? snap.stage,
      fraction: Math.min(1, Math.max(0, progress?.fraction ?? snap.fraction)),
      etaSec: progress ? progress.etaSec : snap.etaSec,
      elapsedSec: progress?.elapsedSec ?? snap.elapsedSec,
      error: snap.errorMessage,
      action: snap.kind === 'separation' ? editor.separation.actionOf(snap.id) : null,
    });
  jobs.on('state', (snap) => forward(snap));
  // With the lock held and no job started yet, nothing in the data folder is being written.
  try {
    const limitMb = Number(process.env.STEMSIGHT_CACHE_LIMIT_MB ?? DEFAULT_CACHE_LIMIT_MB);
    const r = await tidyDataFolder(library, folders, (Number.isFinite(limitMb) && limitMb >= 0 ? limitMb : DEFAULT_CACHE_LIMIT_MB) * 1e6);
    if (r.removed) log(`removed ${r.removed} unused file(s) or folder(s) from the data folder`);
  } catch (err) {
    log('tidying the data folder failed', err);
  }
  jobs.on('progress', (p) => {
    const snap = jobs.get(p.jobId);
    if (snap) forward(snap, p);
  });
  return {
    api,
    library,
    jobs,
    policy,
    async close() {
      await jobs.dispose().catch(() => undefined);
      await editor.close().catch(() => undefined);
      library.close();
      releaseLock();
      process.off('exit', releaseLock);
    },
  };
}
