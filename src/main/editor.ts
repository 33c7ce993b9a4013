/**
 * The editor's side of the API: sources, mixer, undo, separation and export for one project.
 * Calls the project library (every edit is its own transaction, so everything autosaves), starts
 * engine jobs in the JobRunner and records their results. No electron import; api.ts routes the
 * editor requests here.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../shared/result';
import type { EditorState, ExportSettingsView, Heatmaps, StemView } from '../shared/contract';
import type { Library } from './engine/project/db';
import {
  addSource,
  duckAllBut,
  findMixerChannel,
  getExportSettings,
  getProject,
  getStem,
  historyState,
  listMedia,
  listMixerChannels,
  listSources,
  listStems,
  mediaFacts,
  recordStem,
  redo,
  removeSource,
  renameSource,
  setExportSettings,
  setMixer,
  setMonitor,
  sha256File,
  undo,
  type Media,
} from './engine/project';
import { getMixState } from './engine/project/rows';
import type { JobRunner, JobSnapshot } from './engine/jobs';
import { AnalysisCache } from './engine/analysis/cache';
import { originalGrid, toOriginal, type OriginalGrid } from './engine/analysis/localize';
import type { Manifest, SeparationJobParams } from './engine/separation/job';
import type { AnalysisJobParams, AnalysisJobResult } from './engine/analysis/job';
import { decodeAudioStream } from './engine/media/audio';
import { createWavWriter } from './engine/media/wav';
import { computePeaks } from './engine/media/peaks';
import type { ExportJobParams, ExportJobResult, ExportStem } from './engine/export/job';
import { exportFolderName, planExportFolder } from './engine/export/naming';
import { resolveFolder, type AccessPolicy } from './access';

export interface EditorDeps {
  library: Library;
  /** File of the library database (workers open their own connection for the analysis index). */
  libraryPath: string;
  jobs: JobRunner;
  dataDir: string;
  cacheDir: string;
  policy: AccessPolicy;
  /** Native folder dialog (Electron); absent in the browser. */
  showFolderDialog?: (suggested: string | null) => Promise<string | null>;
  emitChanged(projectId: number, what: 'stems' | 'analysis' | 'export', detail?: string): void;
  log(message: string, err?: unknown): void;
}

/** Source model's heatmap grid per media, kept open while the project is on screen. */
interface HeatState {
  cache: AnalysisCache;
  grid: OriginalGrid;
}

const PREVIEW_PRIORITY = 10;

export function createEditor(deps: EditorDeps) {
  const lib = deps.library;
  const analysisJobs = new Map<number, string>(); // mediaId -> running analysis job
  const analysisDirs = new Map<number, string>(); // mediaId -> ready cache dir
  const analysisFailed = new Set<number>();
  const heat = new Map<number, Promise<HeatState | null>>();
  const separationJobs = new Map<number, string[]>(); // projectId -> queued/running separation jobs
  const originalAudio = new Map<number, Promise<{ file: string; sampleRate: number; channels: number }>>();

  function mediaOf(projectId: number): Media {
    try {
      getProject(lib, projectId);
    } catch {
      throw new ApiError('not_found', 'That project no longer exists.');
    }
    const m = listMedia(lib, projectId)[0];
    if (!m) throw new ApiError('not_found', 'This project has no media file.');
    return m;
  }

  async function requireFile(m: Media): Promise<void> {
    try {
      if ((await fsp.stat(m.path)).isFile()) return;
    } catch {
      // fall through
    }
    throw new ApiError('not_found', `${path.basename(m.path)} is missing; move it back or open it again.`);
  }

  function wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const e = err as Error;
      if (e?.name === 'NotFoundError') throw new ApiError('not_found', 'That item no longer exists; reload the project.');
      if (e?.name === 'InvalidInputError') throw new ApiError('bad_request', e.message);
      throw err;
    }
  }

  function activityOf(params: Record<string, unknown>): StemView['activity'] {
    const a = params.activity as { fps?: unknown; startSec?: unknown; values?: unknown } | undefined;
    if (!a || typeof a.fps !== 'number' || typeof a.startSec !== 'number' || !Array.isArray(a.values)) return null;
    return { fps: a.fps, startSec: a.startSec, values: a.values.filter((x): x is number => typeof x === 'number') };
  }

  /**
   * The stems the editor plays: per source (and the residual) the newest full-file stem, or the
   * newest preview while no full stem is newer. All from the newest job that produced a residual,
   * so a source added later never mixes with an older residual that still contains it.
   */
  function currentStems(projectId: number): StemView[] {
    const order = new Map(listSources(lib, projectId).map((s) => [s.id, s.index] as const));
    const all = listStems(lib, projectId).filter((s) => s.sourceId === null || order.has(s.sourceId));
    const residual = all.find((s) => s.kind === 'residual');
    if (!residual || order.size === 0) return [];
    const rank = (s: { sourceId: number | null }) => (s.sourceId === null ? Infinity : (order.get(s.sourceId) ?? 0));
    const sameJob = all.filter((s) => s.jobId === residual.jobId);
    return sameJob
      .sort((a, b) => rank(a) - rank(b))
      .map((s) => ({
        id: s.id,
        kind: s.kind,
        sourceId: s.sourceId,
        audioKey: `stem-${s.id}`,
        sampleRate: s.sampleRate,
        channels: s.channels,
        frames: s.frames,
        startSec: s.startFrame / s.sampleRate,
        preview: s.preview,
        available: true,
        activity: activityOf(s.params as Record<string, unknown>),
      }));
  }

  function exportSettingsView(projectId: number): ExportSettingsView {
    const s = getExportSettings(lib, projectId);
    return {
      format: s.format,
      sampleRate: s.sampleRate === 44100 || s.sampleRate === 48000 ? s.sampleRate : null,
      namingTemplate: s.namingTemplate,
      folder: s.folder,
      includeStems: s.includeStems,
      includeMix: s.includeMix,
      includeVideo: s.includeVideo,
      includeDaw: s.includeDaw,
    };
  }

  /** The media's folder when exports may go there (not the app's own demo folder), else the first root. */
  function suggestFolder(mediaDir: string): string | null {
    const inside = (root: string) => {
      const rel = path.relative(root, mediaDir);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    };
    return deps.policy.roots.some(inside) ? mediaDir : (deps.policy.roots[0] ?? null);
  }

  function state(projectId: number): EditorState {
    const m = mediaOf(projectId);
    const sources = listSources(lib, projectId);
    const live = new Set(sources.map((s) => s.id));
    const settings = exportSettingsView(projectId);
    return {
      projectId,
      sources: sources.map((s) => ({ id: s.id, index: s.index, name: s.name, colour: s.colour, x: s.x, y: s.y, timeSec: s.timeSec })),
      channels: listMixerChannels(lib, projectId)
        .filter((c) => c.sourceId === null || live.has(c.sourceId))
        .map((c) => ({ id: c.id, role: c.role, sourceId: c.sourceId, gainDb: c.gainDb, pan: c.pan, mute: c.mute, solo: c.solo })),
      monitor: getMixState(lib, projectId).monitor,
      stems: currentStems(projectId),
      history: historyState(lib, projectId),
      exportSettings: settings,
      suggestedFolder: settings.folder ?? suggestFolder(path.dirname(m.path)),
      analysis: analysisDirs.has(m.id) ? 'ready' : analysisJobs.has(m.id) ? 'running' : analysisFailed.has(m.id) ? 'failed' : 'none',
    };
  }

  // ---- analysis and heatmaps -------------------------------------------------------------------

  function analyze(projectId: number): string | null {
    const m = mediaOf(projectId);
    if (analysisDirs.has(m.id)) return null;
    const running = analysisJobs.get(m.id);
    if (running) return running;
    analysisFailed.delete(m.id);
    const params: AnalysisJobParams = { media: m.path, library: { path: deps.libraryPath, mediaId: m.id } };
    const id = deps.jobs.start('analysis', params, { projectId, mediaId: m.id, priority: PREVIEW_PRIORITY + 1 });
    analysisJobs.set(m.id, id);
    void deps.jobs.wait(id).then((snap) => {
      analysisJobs.delete(m.id);
      if (snap.state === 'done') analysisDirs.set(m.id, (snap.result as AnalysisJobResult).cacheDir);
      else if (snap.state === 'failed') analysisFailed.add(m.id);
      deps.emitChanged(projectId, 'analysis');
    });
    return id;
  }

  function heatState(mediaId: number): Promise<HeatState | null> {
    const dir = analysisDirs.get(mediaId);
    if (!dir) return Promise.resolve(null);
    let p = heat.get(mediaId);
    if (!p) {
      p = AnalysisCache.open(dir).then((cache) => {
        if (!cache) return null;
        // Rows x cols of the original frame at the model's cell size, so cells are square-ish.
        const m = cache.meta;
        return { cache, grid: originalGrid(m.geometry, m.featureStride, m.grid) };
      });
      heat.set(mediaId, p);
    }
    return p;
  }

  async function heatmaps(projectId: number, fromSec: number, spanSec: number): Promise<Heatmaps | null> {
    const m = mediaOf(projectId);
    const h = await heatState(m.id);
    if (!h) return null;
    const meta = h.cache.meta;
    const first = Math.min(meta.frames - 1, Math.max(0, Math.floor(fromSec * meta.fps)));
    const count = Math.max(1, Math.min(meta.frames - first, Math.ceil(spanSec * meta.fps)));
    const cells = meta.grid[0] * meta.grid[1];
    const raw = await h.cache.heatmaps(first, count);
    const outCells = h.grid.rows * h.grid.cols;
    const bytes = Buffer.alloc((raw.length / cells) * outCells);
    for (let f = 0; f < raw.length / cells; f++) {
      const vals = toOriginal(h.grid, raw, f * cells);
      for (let i = 0; i < outCells; i++) bytes[f * outCells + i] = Math.round(vals[i] * 255);
    }
    return { grid: [h.grid.rows, h.grid.cols], fps: meta.fps, firstFrame: first, frameCount: raw.length / cells, totalFrames: meta.frames, data: bytes.toString('base64') };
  }

  // ---- separation -------------------------------------------------------------------------------

  function startSeparation(projectId: number, preview?: { startSec: number; spanSec: number }): string[] {
    const m = mediaOf(projectId);
    const sources = listSources(lib, projectId);
    if (sources.length === 0) throw new ApiError('bad_request', 'Click on something in the video first: each click is one source to separate.');
    // Newer clicks make older separations stale: stop them before they use the machine.
    for (const old of separationJobs.get(projectId) ?? []) deps.jobs.cancel(old);
    const durationSec = mediaFacts(m).durationSec;
    const ids: string[] = [];
    const runs: { startSec?: number; durationSec?: number; preview: boolean }[] = [];
    if (preview && preview.spanSec < durationSec - 0.5) {
      const start = Math.max(0, Math.min(preview.startSec, Math.max(0, durationSec - preview.spanSec)));
      runs.push({ startSec: start, durationSec: preview.spanSec, preview: true });
    }
    runs.push({ preview: false });
    for (const run of runs) {
      const outDir = path.join(deps.dataDir, 'stems', String(projectId), `${Date.now().toString(36)}-${run.preview ? 'preview' : 'full'}`);
      const params: SeparationJobParams = {
        media: m.path,
        sources: sources.map((s) => ({ x: s.x, y: s.y, timeSec: s.timeSec })),
        outDir,
        // Float stems: the mix and exports are computed from them, so keep full resolution.
        format: 'f32',
        startSec: run.startSec,
        durationSec: run.durationSec,
        library: { path: deps.libraryPath, mediaId: m.id },
      };
      const id = deps.jobs.start('separation', params, { projectId, mediaId: m.id, priority: run.preview ? PREVIEW_PRIORITY : 0 });
      ids.push(id);
      const sourceIds = sources.map((s) => s.id);
      void deps.jobs.wait(id).then(async (snap) => {
        const list = separationJobs.get(projectId)?.filter((j) => j !== id) ?? [];
        separationJobs.set(projectId, list);
        if (snap.state !== 'done') return;
        try {
          await recordSeparation(projectId, m.id, id, sourceIds, snap.result as Manifest, outDir, run.preview);
          deps.emitChanged(projectId, 'stems');
        } catch (err) {
          deps.log('recording stems failed', err);
        }
      });
    }
    separationJobs.set(projectId, ids);
    return ids;
  }

  async function recordSeparation(projectId: number, mediaId: number, jobId: string, sourceIds: number[], manifest: Manifest, outDir: string, preview: boolean): Promise<void> {
    const base = {
      projectId,
      mediaId,
      jobId: null as string | null,
      modelId: manifest.model.name,
      modelVersion: manifest.model.version,
      sampleRate: manifest.stems.sampleRate,
      channels: manifest.stems.channels,
      frames: manifest.stems.frames,
      startFrame: Math.round(manifest.parameters.startSec * manifest.stems.sampleRate),
      preview,
    };
    // The job row exists in the library (the runner inserted it); link the stems to it.
    base.jobId = jobId;
    const act = manifest.activity;
    for (const s of manifest.stems.sources) {
      const sourceId = sourceIds[s.index - 1];
      const file = path.join(outDir, s.file);
      const values = act.sources.find((a) => a.index === s.index)?.values ?? [];
      await recordStem(lib, {
        ...base,
        sourceId,
        kind: 'source',
        path: file,
        sha256: await sha256File(file),
        params: { mask: manifest.parameters.mask, activity: { fps: act.fps, startSec: act.startTime, values: values.map((v) => Math.round(v * 1000) / 1000) } },
      });
    }
    const residual = path.join(outDir, manifest.stems.residual);
    await recordStem(lib, { ...base, sourceId: null, kind: 'residual', path: residual, sha256: await sha256File(residual), params: { mask: manifest.parameters.mask } });
  }

  // ---- audio for playback ------------------------------------------------------------------------

  /** The original audio decoded once to a float WAV in the cache (seekable by byte range). */
  function originalWav(projectId: number): Promise<{ file: string; sampleRate: number; channels: number }> {
    const m = mediaOf(projectId);
    let p = originalAudio.get(m.id);
    if (!p) {
      p = (async () => {
        await requireFile(m);
        const file = path.join(deps.cacheDir, 'original', `${m.id}-${m.quickHash.slice(0, 16)}.wav`);
        const facts = mediaFacts(m);
        const sampleRate = facts.sampleRate || 48000;
        const channels = Math.min(2, facts.channels || 2);
        try {
          await fsp.access(file);
          return { file, sampleRate, channels };
        } catch {
          // decode below
        }
        await fsp.mkdir(path.dirname(file), { recursive: true });
        const w = await createWavWriter(file, { sampleRate, channels, format: 'f32' });
        try {
          for await (const chunk of decodeAudioStream(m.path, { sampleRate, channels })) await w.write(chunk.channels);
          await w.close();
        } catch (err) {
          await w.abort();
          throw err;
        }
        return { file, sampleRate, channels };
      })();
      p.catch(() => originalAudio.delete(m.id));
      originalAudio.set(m.id, p);
    }
    return p;
  }

  /** File behind an audio key, or null. Stems must belong to a project; nothing else is served. */
  async function audioFile(key: string): Promise<string | null> {
    const match = /^(stem|original)-([1-9]\d{0,15})$/.exec(key);
    if (!match) return null;
    const id = Number(match[2]);
    if (match[1] === 'stem') {
      try {
        return getStem(lib, id).path;
      } catch {
        return null;
      }
    }
    const hit = [...originalAudio.entries()].find(([mediaId]) => mediaId === id);
    if (!hit) return null;
    try {
      return (await hit[1]).file;
    } catch {
      return null;
    }
  }

  async function stemPeaks(projectId: number, stemId: number) {
    let stem;
    try {
      stem = getStem(lib, stemId);
    } catch {
      throw new ApiError('not_found', 'That stem no longer exists; reload the project.');
    }
    if (stem.projectId !== projectId) throw new ApiError('forbidden', 'That stem belongs to another project.');
    const pps = 100;
    const p = await computePeaks(stem.path, { peaksPerSecond: pps });
    const abs: number[] = new Array(p.length);
    for (let i = 0; i < p.length; i++) abs[i] = Math.round(Math.min(1, Math.max(Math.abs(p.data[2 * i]), Math.abs(p.data[2 * i + 1]))) * 1e4) / 1e4;
    return { mediaId: stem.mediaId, peaksPerSecond: p.peaksPerSecond, durationSec: p.durationSec, channels: [abs] };
  }

  // ---- export ------------------------------------------------------------------------------------

  async function startExport(projectId: number, ifExists: 'ask' | 'replace' | 'new', transport: 'ipc' | 'web') {
    const m = mediaOf(projectId);
    await requireFile(m);
    const st = state(projectId);
    const settings = st.exportSettings;
    if (!settings.includeStems && !settings.includeMix && !settings.includeVideo && !settings.includeDaw) {
      throw new ApiError('bad_request', 'Choose at least one thing to export (stems, mix, video or REAPER project).');
    }
    if (st.stems.length === 0) throw new ApiError('bad_request', 'There are no stems yet: click a source in the video and wait for the separation.');
    if (st.stems.some((s) => s.preview)) throw new ApiError('bad_request', 'The whole-file separation is still running; export when it has finished.');
    const chosen = settings.folder ?? st.suggestedFolder;
    if (!chosen) throw new ApiError('bad_request', 'Choose a folder to export into.');
    // In the browser the folder is typed, so it must be inside the allowed roots; a folder
    // picked in the desktop app's own dialog is the user's choice.
    const parent = await resolveFolder(deps.policy, chosen, transport === 'web');
    const project = getProject(lib, projectId);
    const plan = await planExportFolder(parent, exportFolderName(project.name), ifExists);
    if (plan.conflict) return { jobId: null, folder: plan.folder, conflict: true };
    const names = new Map(st.sources.map((s) => [s.id, s] as const));
    const channels = st.channels;
    const stems: ExportStem[] = st.stems.map((s, i) => {
      const ch = s.kind === 'residual' ? channels.find((c) => c.role === 'residual') : channels.find((c) => c.sourceId === s.sourceId);
      const src = s.sourceId !== null ? names.get(s.sourceId) : undefined;
      return {
        path: getStem(lib, s.id).path,
        name: src ? src.name : 'residual',
        index: s.kind === 'residual' ? st.stems.length : i + 1,
        colour: src?.colour ?? '#8d95a5',
        gainDb: ch?.gainDb ?? 0,
        pan: ch?.pan ?? 0,
        mute: ch?.mute ?? false,
        solo: ch?.solo ?? false,
      };
    });
    const params: ExportJobParams = {
      media: m.path,
      projectName: project.name,
      folder: plan.folder,
      replace: ifExists === 'replace',
      stems,
      format: settings.format,
      sampleRate: settings.sampleRate,
      namingTemplate: settings.namingTemplate,
      includeStems: settings.includeStems,
      includeMix: settings.includeMix,
      includeVideo: settings.includeVideo && mediaFacts(m).hasVideo,
      includeDaw: settings.includeDaw,
    };
    const jobId = deps.jobs.start('export', params, { projectId, mediaId: m.id });
    void deps.jobs.wait(jobId).then((snap: JobSnapshot) => {
      if (snap.state === 'done') deps.emitChanged(projectId, 'export', (snap.result as ExportJobResult).folder);
    });
    return { jobId, folder: plan.folder, conflict: false };
  }

  return {
    state: (projectId: number) => wrap(() => state(projectId)),
    analyze: (projectId: number) => wrap(() => analyze(projectId)),
    heatmaps,
    addSource(projectId: number, x: number, y: number, timeSec: number) {
      const m = mediaOf(projectId);
      wrap(() => addSource(lib, { projectId, mediaId: m.id, x, y, timeSec }));
      return state(projectId);
    },
    renameSource(projectId: number, sourceId: number, name: string) {
      wrap(() => renameSource(lib, projectId, sourceId, name));
      return state(projectId);
    },
    removeSource(projectId: number, sourceId: number) {
      wrap(() => removeSource(lib, projectId, sourceId));
      return state(projectId);
    },
    startSeparation: (projectId: number, preview?: { startSec: number; spanSec: number }) => wrap(() => startSeparation(projectId, preview)),
    setMixer(projectId: number, channelId: number, set: { gainDb?: number; pan?: number; mute?: boolean; solo?: boolean }) {
      wrap(() => setMixer(lib, projectId, channelId, set));
      return state(projectId);
    },
    duck(projectId: number, sourceId: number, duckDb: number) {
      wrap(() => {
        findMixerChannel(lib, projectId, { sourceId });
        duckAllBut(lib, projectId, sourceId, duckDb);
      });
      return state(projectId);
    },
    monitor(projectId: number, monitor: 'mix' | 'original') {
      wrap(() => setMonitor(lib, projectId, monitor));
      return state(projectId);
    },
    undo(projectId: number) {
      wrap(() => undo(lib, projectId));
      return state(projectId);
    },
    redo(projectId: number) {
      wrap(() => redo(lib, projectId));
      return state(projectId);
    },
    async setExportSettings(projectId: number, patch: Partial<ExportSettingsView>, transport: 'ipc' | 'web') {
      if (patch.folder !== undefined && patch.folder !== null) {
        // The desktop app takes folders only from its own dialog (export.chooseFolder), so a
        // renderer cannot point exports anywhere; the browser's typed folder must be in the roots.
        if (transport === 'ipc') throw new ApiError('forbidden', 'Choose the export folder with the Choose… button.');
        patch = { ...patch, folder: await resolveFolder(deps.policy, patch.folder, true) };
      }
      wrap(() => setExportSettings(lib, projectId, patch));
      return state(projectId);
    },
    async chooseFolder(projectId: number): Promise<string | null> {
      if (!deps.showFolderDialog) throw new ApiError('unsupported', 'There is no folder dialog in the browser; type the folder instead.');
      const picked = await deps.showFolderDialog(state(projectId).suggestedFolder);
      if (picked) setExportSettings(lib, projectId, { folder: picked });
      return picked;
    },
    startExport,
    stemPeaks,
    async mediaAudio(projectId: number) {
      const m = mediaOf(projectId);
      const r = await originalWav(projectId);
      return { audioKey: `original-${m.id}`, sampleRate: r.sampleRate, channels: r.channels };
    },
    audioFile,
    async close() {
      for (const p of heat.values()) (await p.catch(() => null))?.cache.close();
    },
  };
}

export type Editor = ReturnType<typeof createEditor>;
