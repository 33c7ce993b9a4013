/**
 * Implements the contract (src/shared/contract.ts) by calling the engine. Knows nothing about
 * transports: ipc.ts and web.ts both call `dispatch`, which validates the payload, runs the handler
 * and always answers with a Result. The engine and the database are reached through the small
 * ports below so this file stays testable in plain Node.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import * as v from 'valibot';
import {
  events as eventSchemas,
  isRequestName,
  requests,
  type AppInfo,
  type EventName,
  type EventPayload,
  type MediaInfo,
  type Peaks,
  type ProjectSummary,
  type ProjectView,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../shared/contract';
import { AppError, errorInfo, isAppError } from '../shared/errors';
import { fail, ok, type Result } from '../shared/result';
import { listFolder, resolveMediaPath, type AccessPolicy } from './access';
import { writeFileAtomic } from './engine/fs/atomic';
import type { Editor } from './editor';
import type { MediaFacts } from './engine/project/media';

// ---- ports ------------------------------------------------------------------------------------

/** What probing a media file tells main: the same facts the project library keeps for it. */
export type ProbeResult = MediaFacts;

export interface PeaksResult {
  peaksPerSecond: number;
  durationSec: number;
  channels: ArrayLike<number>[];
}

export interface MediaEngine {
  probe(file: string): Promise<ProbeResult>;
  peaks(file: string, peaksPerSecond: number): Promise<PeaksResult>;
}

export interface MediaRecord extends ProbeResult {
  id: number;
  path: string;
}

export interface ProjectRecord {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
  media: MediaRecord;
}

/** What api.ts needs from the project database (adapted from src/main/engine/project). */
export interface ProjectStore {
  createProject(name: string, mediaPath: string, probe: ProbeResult): Promise<ProjectRecord>;
  findProjectByMediaPath(mediaPath: string): ProjectRecord | null;
  getProject(projectId: number): ProjectRecord | null;
  /** Marks the project as just used (recent list order). */
  touchProject(projectId: number): void;
  listRecent(limit: number): ProjectRecord[];
  removeProject(projectId: number): boolean;
  getMedia(mediaId: number): MediaRecord | null;
}

/** The job runner as api.ts sees it (src/main/engine/jobs). */
export interface JobsPort {
  cancel(jobId: string): boolean;
}

export interface ApiDeps {
  engine: MediaEngine;
  store: ProjectStore;
  policy: AccessPolicy;
  /** Folder for caches (peaks); created on demand. */
  cacheDir: string;
  transport: AppInfo['transport'];
  version: string;
  jobs?: JobsPort;
  /** Native open dialog, provided by app/ in Electron; absent in the web transport. */
  showOpenDialog?: () => Promise<string | null>;
  /** Sources, mixer, analysis, separation, export and playback of a project (src/main/editor/). */
  editor?: Editor;
  /** The bundled demo clip (resources/demo), opened without the roots check. */
  demoFile?: string;
  log?: (message: string, err?: unknown) => void;
}

type Handlers = { [N in RequestName]: (input: RequestOutputOfInput<N>) => Promise<RequestOutput<N>> };
type RequestOutputOfInput<N extends RequestName> = v.InferOutput<(typeof requests)[N]['input']>;
type Listener = (name: EventName, payload: unknown) => void;

export interface Api {
  /** Validate and run one request; never throws. */
  dispatch(name: unknown, payload: unknown): Promise<Result<unknown>>;
  /** Typed call for main-side callers (menus); throws AppError. */
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  /** The file behind a media id, for the media protocol / HTTP route; null if unknown or gone. */
  mediaFile(mediaId: number): Promise<string | null>;
  /** The WAV behind an audio key (stem-<id>, original-<mediaId>); null if unknown. */
  audioFile?(key: string): Promise<string | null>;
  emit<N extends EventName>(name: N, payload: EventPayload<N>): void;
  onEvent(listener: Listener): () => void;
}

const DEFAULT_PEAKS_PER_SECOND = 100;

// ---- implementation ---------------------------------------------------------------------------

export function createApi(deps: ApiDeps): Api {
  const listeners = new Set<Listener>();
  const log = deps.log ?? ((m, e) => console.error(m, e ?? ''));
  // One computation per (media, rate) even when several windows ask at once.
  const peaksInFlight = new Map<string, Promise<Peaks>>();

  async function fileExists(file: string): Promise<boolean> {
    try {
      return (await fsp.stat(file)).isFile();
    } catch {
      return false;
    }
  }

  async function mediaInfo(m: MediaRecord): Promise<MediaInfo> {
    return {
      id: m.id,
      fileName: path.basename(m.path),
      durationSec: m.durationSec,
      hasVideo: m.hasVideo,
      hasAudio: m.hasAudio,
      width: m.width,
      height: m.height,
      fps: m.fps,
      sampleRate: m.sampleRate,
      channels: m.channels,
      available: await fileExists(m.path),
    };
  }

  async function projectView(p: ProjectRecord): Promise<ProjectView> {
    return { id: p.id, name: p.name, createdAt: p.createdAt, updatedAt: p.updatedAt, media: await mediaInfo(p.media) };
  }

  async function openResolved(file: string): Promise<ProjectView> {
    const existing = deps.store.findProjectByMediaPath(file);
    if (existing) {
      deps.store.touchProject(existing.id);
      deps.editor?.opened(existing.id);
      return projectView(deps.store.getProject(existing.id) ?? existing);
    }
    let probe: ProbeResult;
    try {
      probe = await deps.engine.probe(file);
    } catch (err) {
      // The engine's message usually names the file and says what to do: say it once.
      const why = oneLine(err);
      const name = path.basename(file);
      throw new AppError('media_error', why.includes(name) ? why : `${name} could not be read as media: ${why}`);
    }
    if (!probe.hasAudio) {
      throw new AppError('media_error', `${path.basename(file)} has no audio track, so there is nothing to separate.`);
    }
    const name = path.basename(file, path.extname(file));
    return projectView(await deps.store.createProject(name, file, probe));
  }

  async function computePeaks(mediaId: number, pps: number): Promise<Peaks> {
    const media = deps.store.getMedia(mediaId);
    if (!media) throw new AppError('not_found', 'That media is not in the project database.');
    if (!(await fileExists(media.path))) {
      throw new AppError('not_found', `${path.basename(media.path)} is missing; move it back or open it again.`);
    }
    const st = await fsp.stat(media.path);
    // The cache key includes size and mtime so a replaced file never shows stale peaks.
    const cacheFile = path.join(deps.cacheDir, 'peaks', `${mediaId}-${pps}-${st.size}-${Math.floor(st.mtimeMs)}.json`);
    try {
      const cached = v.parse(requests['media.peaks'].output, JSON.parse(await fsp.readFile(cacheFile, 'utf8')));
      return cached;
    } catch {
      // no usable cache: compute below
    }
    let result: PeaksResult;
    try {
      result = await deps.engine.peaks(media.path, pps);
    } catch (err) {
      throw new AppError('media_error', `Could not read the audio of ${path.basename(media.path)}: ${oneLine(err)}`);
    }
    const peaks: Peaks = {
      mediaId,
      peaksPerSecond: result.peaksPerSecond,
      durationSec: result.durationSec,
      // Four decimals is far below one pixel of waveform and halves the JSON.
      channels: result.channels.map((ch) => Array.from(ch, (x) => Math.round(Math.min(1, Math.abs(x)) * 1e4) / 1e4)),
    };
    try {
      await fsp.mkdir(path.dirname(cacheFile), { recursive: true });
      await writeFileAtomic(cacheFile, JSON.stringify(peaks));
    } catch (err) {
      log('peaks cache write failed', err);
    }
    return peaks;
  }

  const editor = (): Editor => {
    if (!deps.editor) throw new AppError('unsupported', 'Editing is not available in this build.');
    return deps.editor;
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'Stemsight',
      version: deps.version,
      transport: deps.transport,
      platform: process.platform,
      nativeDialogs: Boolean(deps.showOpenDialog),
    }),
    'projects.recent': async ({ limit }) => {
      const records = deps.store.listRecent(limit ?? 20);
      const out: ProjectSummary[] = [];
      for (const p of records) {
        out.push({
          id: p.id,
          name: p.name,
          mediaFileName: path.basename(p.media.path),
          durationSec: p.media.durationSec,
          updatedAt: p.updatedAt,
          available: await fileExists(p.media.path),
        });
      }
      return out;
    },
    'projects.open': async ({ projectId }) => {
      const p = deps.store.getProject(projectId);
      if (!p) throw new AppError('not_found', 'That project no longer exists.');
      deps.store.touchProject(projectId);
      deps.editor?.opened(projectId);
      return projectView(deps.store.getProject(projectId) ?? p);
    },
    'projects.remove': async ({ projectId }) => ({ removed: deps.store.removeProject(projectId) }),
    'media.open': async ({ path: input }) => openResolved(await resolveMediaPath(deps.policy, input)),
    'media.openDialog': async () => {
      if (!deps.showOpenDialog) throw new AppError('unsupported', 'There is no native file dialog in the browser; use the file picker.');
      const picked = await deps.showOpenDialog();
      if (!picked) return null;
      // Picked in main's own dialog: the user chose it, so the roots do not apply.
      return openResolved(await resolveMediaPath(deps.policy, picked, false));
    },
    'media.peaks': async ({ mediaId, peaksPerSecond }) => {
      const pps = peaksPerSecond ?? DEFAULT_PEAKS_PER_SECOND;
      const key = `${mediaId}:${pps}`;
      let p = peaksInFlight.get(key);
      if (!p) {
        p = computePeaks(mediaId, pps).finally(() => peaksInFlight.delete(key));
        peaksInFlight.set(key, p);
      }
      return p;
    },
    'editor.state': async ({ projectId }) => editor().state(projectId),
    'editor.analyze': async ({ projectId }) => ({ jobId: await editor().analysis.analyze(projectId) }),
    'editor.heatmaps': async ({ projectId, fromSec, spanSec }) => editor().analysis.heatmaps(projectId, fromSec, spanSec),
    'editor.detections': async ({ projectId }) => editor().analysis.detections(projectId),
    'media.scene': async ({ projectId, scene }) => {
      await editor().analysis.setScene(projectId, scene);
      return editor().state(projectId);
    },
    'sources.add': async ({ projectId, x, y, timeSec, className }) => editor().sources.add(projectId, x, y, timeSec, className),
    'sources.addByName': async ({ projectId, className }) => editor().sources.addByName(projectId, className),
    'sources.setClass': async ({ projectId, sourceId, className }) => editor().sources.setClass(projectId, sourceId, className),
    'sources.rename': async ({ projectId, sourceId, name }) => editor().sources.rename(projectId, sourceId, name),
    'sources.remove': async ({ projectId, sourceId }) => editor().sources.remove(projectId, sourceId),
    'sources.move': async ({ projectId, sourceId, x, y, timeSec }) => editor().sources.move(projectId, sourceId, { x, y, timeSec }),
    'sources.strength': async ({ projectId, sourceId, strength }) => editor().sources.strength(projectId, sourceId, strength),
    'sources.moveRange': async ({ projectId, sourceId, startSec, endSec, to }) => editor().sources.moveRange(projectId, sourceId, { startSec, endSec, to }),
    'separation.start': async ({ projectId, previewStartSec, previewSpanSec }) => ({
      jobIds: editor().separation.start(projectId, previewSpanSec !== undefined ? { startSec: previewStartSec ?? 0, spanSec: previewSpanSec } : undefined),
    }),
    'mixer.set': async ({ projectId, channelId, ...set }) => editor().mixer.set(projectId, channelId, set),
    'mixer.duck': async ({ projectId, sourceId, duckDb }) => editor().mixer.duck(projectId, sourceId, duckDb),
    'mixer.monitor': async ({ projectId, monitor }) => editor().mixer.monitor(projectId, monitor),
    'history.undo': async ({ projectId }) => editor().mixer.undo(projectId),
    'history.redo': async ({ projectId }) => editor().mixer.redo(projectId),
    'stems.peaks': async ({ projectId, stemId }) => editor().playback.stemPeaks(projectId, stemId),
    'mix.loudness': async ({ projectId }) => editor().loudness.measure(projectId),
    'stems.spectrogram': async ({ projectId, audioKey, ...range }) => editor().playback.spectrogram(projectId, audioKey, range),
    'media.audio': async ({ projectId }) => {
      try {
        return await editor().playback.mediaAudio(projectId);
      } catch (err) {
        if (isAppError(err)) throw err;
        throw new AppError('media_error', `Could not read the audio for playback: ${oneLine(err)}`);
      }
    },
    'export.settings': async ({ projectId, settings }) => editor().export.settings(projectId, settings),
    'export.chooseFolder': async ({ projectId }) => editor().export.chooseFolder(projectId),
    'export.start': async ({ projectId, ifExists, range }) => editor().export.start(projectId, ifExists, range),
    'demo.open': async () => {
      if (!deps.demoFile || !(await fileExists(deps.demoFile))) throw new AppError('not_found', 'The demo clip is not installed with this copy of Stemsight.');
      // Shipped with the app, so the media roots do not apply.
      return openResolved(await resolveMediaPath(deps.policy, deps.demoFile, false));
    },
    // The jobs of one user action (a separation's preview and whole file) are cancelled together.
    'jobs.cancel': async ({ jobId }) => ({
      cancelled: (deps.editor?.separation.together(jobId) ?? [jobId]).map((id) => deps.jobs?.cancel(id) ?? false).some(Boolean),
    }),
    'files.list': async ({ dir }) => listFolder(deps.policy, dir),
  };

  async function dispatch(name: unknown, payload: unknown): Promise<Result<unknown>> {
    if (!isRequestName(name)) return fail('bad_request', 'Unknown request.');
    const parsed = v.safeParse(requests[name].input, payload ?? {});
    if (!parsed.success) {
      return fail('bad_request', `Invalid ${name} request: ${v.summarize(parsed.issues).split('\n')[0]}`);
    }
    try {
      const handler = handlers[name] as (input: unknown) => Promise<unknown>;
      return ok(await handler(parsed.output));
    } catch (err) {
      const info = errorInfo(err, name);
      if (!isAppError(err)) log(`request ${name} failed`, err);
      return fail(info.code, info.message);
    }
  }

  return {
    dispatch,
    async call(name, input) {
      const r = await dispatch(name, input);
      if (!r.ok) throw new AppError(r.error.code, r.error.message);
      return r.result as never;
    },
    async mediaFile(mediaId) {
      const m = deps.store.getMedia(mediaId);
      return m && (await fileExists(m.path)) ? m.path : null;
    },
    async audioFile(key) {
      return deps.editor ? deps.editor.playback.audioFile(key) : null;
    },
    emit(name, payload) {
      // Events are validated too, so a bug in main cannot push malformed data to the UI.
      const parsed = v.safeParse(eventSchemas[name], payload);
      if (!parsed.success) {
        log(`dropped invalid ${name} event`, v.summarize(parsed.issues));
        return;
      }
      for (const l of listeners) l(name, parsed.output);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 300);
}
