/**
 * The real implementations of the editor's ports: the project library, the JobRunner, the
 * engine's file operations and the export folder rules. The only file of src/main/editor that
 * imports engine code (the services import engine types only).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isInside } from '../engine/fs/paths';
import { AppError } from '../../shared/errors';
import { measureMixLoudness } from '../engine/export/loudness';
import { computeSpectrogram } from '../engine/media/spectrogram';
import type { Library } from '../engine/project/db';
import {
  addSource,
  duckAllBut,
  findMixerChannel,
  getAnalysis,
  getExportSettings,
  getMedia,
  getProject,
  getStem,
  historyState,
  listJobs,
  listMedia,
  listMixerChannels,
  listSources,
  listStems,
  mediaFacts,
  recordStem,
  removeStems,
  redo,
  removeSource,
  moveSource,
  moveStemRange,
  setSourceStrength,
  renameSource,
  setSourceClass,
  setExportSettings,
  setMixer,
  setMediaScene,
  setMonitor,
  sha256File,
  undo,
} from '../engine/project';
import { getMixState } from '../engine/project/rows';
import type { JobRunner } from '../engine/jobs';
import { AnalysisCache } from '../engine/analysis/cache';
import { detectionTracks, readDetections } from '../engine/detect/detect';
import { analysisKey, indexSnapshot } from '../engine/analysis/library-index';
import { originalGrid, toOriginal } from '../engine/analysis/localize';
import { loadCard, type ModelCard } from '../engine/models/card';
import { decodeAudioStream } from '../engine/media/audio';
import { createWavWriter } from '../engine/media/wav';
import { computePeaks } from '../engine/media/peaks';
import { exportFolderName, planExportFolder } from '../engine/export/naming';
import { resolveFolder, type AccessPolicy } from '../access';
import type { EditorEngine, EditorJobs, EditorStore, ExportFolders, HeatmapReader } from './ports';

/**
 * Engine errors a user can act on (a stale id, bad input) are AppErrors already and pass through.
 * @param card the shipped model's card, whose name and version key its analyses; rejected when
 *   no model is installed (then no analysis is ready).
 */
export function libraryEditorStore(lib: Library, card: () => Promise<ModelCard>): EditorStore {
  const project = (projectId: number) => {
    try {
      return getProject(lib, projectId);
    } catch {
      throw new AppError('not_found', 'That project no longer exists.');
    }
  };
  return {
    project,
    media(projectId) {
      const m = listMedia(lib, project(projectId).id)[0];
      if (!m) throw new AppError('not_found', 'This project has no media file.');
      return { ...m, facts: mediaFacts(m) };
    },
    sources: (projectId) => listSources(lib, projectId),
    channels: (projectId) => listMixerChannels(lib, projectId),
    mixState: (projectId) => getMixState(lib, projectId),
    stems: (projectId) => listStems(lib, projectId),
    stem(stemId) {
      try {
        return getStem(lib, stemId);
      } catch {
        return null;
      }
    },
    history: (projectId) => historyState(lib, projectId),
    exportSettings: (projectId) => getExportSettings(lib, projectId),
    async analysis(mediaId) {
      let c: ModelCard;
      try {
        c = await card();
      } catch {
        return null;
      }
      const row = getAnalysis(lib, analysisKey(mediaId, c));
      return row ? { status: row.status, cachePath: row.cachePath } : null;
    },
    analysisIndex: (mediaId) => indexSnapshot(lib, mediaId),
    lastJobState(kind, mediaId) {
      let projectId: number;
      try {
        projectId = getMedia(lib, mediaId).projectId;
      } catch {
        return null;
      }
      return listJobs(lib, { projectId }).find((j) => j.kind === kind && j.mediaId === mediaId)?.state ?? null;
    },
    lastAnalysisResult(mediaId) {
      let projectId: number;
      try {
        projectId = getMedia(lib, mediaId).projectId;
      } catch {
        return null;
      }
      return listJobs(lib, { projectId, states: ['done'] }).find((j) => j.kind === 'analysis' && j.mediaId === mediaId)?.result ?? null;
    },
    setScene(projectId, scene) {
      const m = listMedia(lib, project(projectId).id)[0];
      if (!m) throw new AppError('not_found', 'This project has no media file.');
      setMediaScene(lib, m.id, scene);
    },
    addSource: (input) => void addSource(lib, input),
    renameSource: (projectId, sourceId, name) => void renameSource(lib, projectId, sourceId, name),
    removeSource: (projectId, sourceId) => void removeSource(lib, projectId, sourceId),
    moveSource: (projectId, sourceId, to) => void moveSource(lib, projectId, sourceId, to),
    setSourceClass: (projectId, sourceId, className) => void setSourceClass(lib, projectId, sourceId, className),
    setSourceStrength: (projectId, sourceId, strength) => void setSourceStrength(lib, projectId, sourceId, strength),
    moveStemRange: (projectId, sourceId, range) => void moveStemRange(lib, projectId, sourceId, range),
    setMixer: (projectId, channelId, set) => void setMixer(lib, projectId, channelId, set),
    duck(projectId, sourceId, duckDb) {
      findMixerChannel(lib, projectId, { sourceId });
      duckAllBut(lib, projectId, sourceId, duckDb);
    },
    setMonitor: (projectId, monitor) => void setMonitor(lib, projectId, monitor),
    undo: (projectId) => void undo(lib, projectId),
    redo: (projectId) => void redo(lib, projectId),
    setExportSettings: (projectId, patch) => void setExportSettings(lib, projectId, patch),
    recordStem: async (input) => void (await recordStem(lib, input)),
    removeStems: (projectId, stemIds) => removeStems(lib, projectId, stemIds),
  };
}

/** Loads the card once; a failed load is retried on the next call (the model may be installed later). */
export function cardOnce(load: () => Promise<ModelCard> = () => loadCard()): () => Promise<ModelCard> {
  let p: Promise<ModelCard> | null = null;
  return () => {
    if (!p) {
      p = load();
      p.catch(() => (p = null));
    }
    return p;
  };
}

export function runnerJobs(runner: JobRunner): EditorJobs {
  return {
    start: (kind, params, options) => runner.start(kind, params, options),
    wait: (jobId) => runner.wait(jobId),
    cancel: (jobId) => runner.cancel(jobId),
    active: (kind, filter) =>
      runner
        .list()
        .filter((j) => j.kind === kind && (j.state === 'queued' || j.state === 'running'))
        .filter((j) => (filter.projectId === undefined || j.projectId === filter.projectId) && (filter.mediaId === undefined || j.mediaId === filter.mediaId))
        .map((j) => j.id),
  };
}

async function openHeatmaps(metaPath: string): Promise<HeatmapReader | null> {
  const cache = await AnalysisCache.open(path.dirname(metaPath));
  if (!cache) return null;
  const meta = cache.meta;
  // Rows x cols of the original frame at the model's cell size, so cells are square-ish.
  const grid = originalGrid(meta.geometry, meta.featureStride, meta.grid);
  const cells = meta.grid[0] * meta.grid[1];
  const outCells = grid.rows * grid.cols;
  return {
    frames: meta.frames,
    fps: meta.fps,
    rows: grid.rows,
    cols: grid.cols,
    async read(first, count) {
      const raw = await cache.pointing(first, count);
      const bytes = new Uint8Array((raw.length / cells) * outCells);
      for (let f = 0; f < raw.length / cells; f++) {
        const vals = toOriginal(grid, raw, f * cells);
        for (let i = 0; i < outCells; i++) bytes[f * outCells + i] = Math.round(vals[i] * 255);
      }
      return bytes;
    },
    close: () => void cache.close(),
  };
}

export function engineFiles(): EditorEngine {
  return {
    async isFile(file) {
      try {
        return (await fsp.stat(file)).isFile();
      } catch {
        return false;
      }
    },
    sha256: sha256File,
    removeDir: (dir) => fsp.rm(dir, { recursive: true, force: true }),
    async decodeToWav(media, file, format) {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const w = await createWavWriter(file, { ...format, format: 'f32' });
      try {
        for await (const chunk of decodeAudioStream(media, format)) await w.write(chunk.channels);
        await w.close();
      } catch (err) {
        await w.abort();
        throw err;
      }
    },
    peaks: (file, peaksPerSecond) => computePeaks(file, { peaksPerSecond }),
    mixLoudness: (stems) => measureMixLoudness(stems),
    spectrogram: computeSpectrogram,
    openHeatmaps,
    async detectionTracks(file) {
      const d = await readDetections(file);
      return d && detectionTracks(d);
    },
    planExportFolder: (parent, projectName, ifExists, range) => planExportFolder(parent, exportFolderName(projectName, range), ifExists),
  };
}

/** How a transport's export folders are trusted; see exportFolders. */
export type FolderTrust = 'dialog' | 'typed';

/**
 * Export folder rules of a transport. dialog: the desktop app, where a folder comes only from
 * main's own dialog (so a renderer cannot point exports anywhere) and is the user's choice.
 * typed: the browser, where a typed folder must be inside the allowed roots.
 */
export function exportFolders(policy: AccessPolicy, trust: FolderTrust, dialog?: (suggested: string | null) => Promise<string | null>): ExportFolders {
  const typed = trust === 'typed';
  return {
    // The media's folder when exports may go there (not the app's own demo folder), else the first root.
    suggest: (mediaDir) => (policy.roots.some((r) => isInside(mediaDir, r)) ? mediaDir : (policy.roots[0] ?? null)),
    async fromSettings(input) {
      if (!typed) throw new AppError('forbidden', 'Choose the export folder with the Choose… button.');
      return resolveFolder(policy, input, true);
    },
    forExport: (chosen) => resolveFolder(policy, chosen, typed),
    roots: typed ? policy.roots : null,
    dialog: typed ? undefined : dialog,
  };
}
