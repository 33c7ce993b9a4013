/**
 * Ports for the editor service tests: the real project library in memory (through its adapter)
 * and fakes for the job runner, the engine's file work, the export folders and the event sink.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src/shared/errors';
import { openLibrary, type Library } from '../../../src/main/engine/project/db';
import { createProject, insertJob, listMedia, updateJob, type JsonValue } from '../../../src/main/engine/project';
import type { ModelCard } from '../../../src/main/engine/models/card';
import { libraryEditorStore } from '../../../src/main/editor/adapters';
import { exportFolderName } from '../../../src/main/engine/export/naming';
import { createEditor, type Editor } from '../../../src/main/editor';
import type { EditorEngine, EditorJobs, ExportFolders, HeatmapReader, JobOutcome, JobStartOptions } from '../../../src/main/editor/ports';

export const CARD = { name: 'test-model', modelVersion: '1', sha256: 'ab'.repeat(32) } as ModelCard;

export interface FakeJob {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  options: JobStartOptions;
  state: JobOutcome['state'];
  finish(state: 'done' | 'failed' | 'cancelled', result?: unknown): Promise<void>;
}

export class FakeJobs implements EditorJobs {
  readonly started: FakeJob[] = [];
  private readonly done = new Map<string, Promise<JobOutcome>>();
  /** Called inside start(), as the real runner reports a job's queued state before start returns. */
  onStart: ((id: string) => void) | null = null;

  /**
   * With a library, analysis jobs are recorded in its jobs table as the real runner does (the
   * editor reads their results back); the other kinds' tests write their own rows.
   */
  constructor(private readonly lib?: Library) {}

  start(kind: string, params: object, options: JobStartOptions): string {
    const id = `job-${this.started.length + 1}`;
    const lib = kind === 'analysis' ? this.lib : undefined;
    lib && insertJob(lib, { id, kind, projectId: options.projectId, mediaId: options.mediaId, params: JSON.parse(JSON.stringify(params)) as JsonValue });
    let resolve!: (o: JobOutcome) => void;
    this.done.set(id, new Promise((r) => (resolve = r)));
    const job: FakeJob = {
      id,
      kind,
      params: params as Record<string, unknown>,
      options,
      state: 'queued',
      async finish(state, result) {
        job.state = state;
        if (lib) updateJob(lib, id, { state, result: result === undefined ? null : (result as JsonValue) });
        resolve({ state, result });
        // Let the service's wait().then() handlers run.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      },
    };
    this.started.push(job);
    this.onStart?.(id);
    return id;
  }
  wait(jobId: string): Promise<JobOutcome> {
    return this.done.get(jobId)!;
  }
  cancel(jobId: string): boolean {
    const job = this.started.find((j) => j.id === jobId);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return false;
    void job.finish('cancelled');
    return true;
  }
  active(kind: string, filter: { projectId?: number; mediaId?: number }): string[] {
    return this.started
      .filter((j) => j.kind === kind && (j.state === 'queued' || j.state === 'running'))
      .filter((j) => (filter.projectId === undefined || j.options.projectId === filter.projectId) && (filter.mediaId === undefined || j.options.mediaId === filter.mediaId))
      .map((j) => j.id);
  }
}

export class FakeEngine implements EditorEngine {
  decodes: string[] = [];
  heatmapOpens: string[] = [];
  /** Heat value (0..1) of every cell of frame f. */
  heat = (f: number) => (f % 4) / 4;
  async isFile(file: string) {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  }
  async removeDir(dir: string) {
    rmSync(dir, { recursive: true, force: true });
  }
  async sha256(file: string) {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  async decodeToWav(media: string, file: string) {
    this.decodes.push(media);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'RIFF');
  }
  async peaks(_file: string, peaksPerSecond: number) {
    return { peaksPerSecond, durationSec: 0.02, length: 2, data: Float32Array.from([-0.5, 0.25, -0.1, 2]) };
  }
  spectrograms: { file: string; fromSec: number; spanSec: number; columns: number; rows: number }[] = [];
  async spectrogram(file: string, req: { fromSec: number; spanSec: number; columns: number; rows: number }) {
    this.spectrograms.push({ file, ...req });
    return { columns: req.columns, rows: req.rows, minHz: 40, maxHz: 22050, floorDb: -100, data: new Uint8Array(req.columns * req.rows).fill(7) };
  }
  /** Stems and levels each loudness measurement mixed. */
  measured: { path: string; gainDb: number; mute: boolean; solo: boolean; pan: number }[][] = [];
  async mixLoudness(stems: { path: string; gainDb: number; mute: boolean; solo: boolean; pan: number }[]) {
    this.measured.push(stems.map(({ path, gainDb, mute, solo, pan }) => ({ path, gainDb, mute, solo, pan })));
    return { integrated: -23.004, momentaryMax: -20.5, shortTermMax: -Infinity, samplePeak: 0.5, durationSec: 8 };
  }
  detectionReads: string[] = [];
  async detectionTracks(file: string) {
    this.detectionReads.push(file);
    return { fps: 4, tracks: [{ track: 1, kind: 'face' as const, times: [0], boxes: [[0.1, 0.1, 0.2, 0.2] as [number, number, number, number]], speaking: [0] }] };
  }
  async openHeatmaps(metaPath: string): Promise<HeatmapReader | null> {
    this.heatmapOpens.push(metaPath);
    const heat = this.heat;
    return {
      frames: 50,
      fps: 25,
      rows: 2,
      cols: 3,
      async read(first, count) {
        const out = new Uint8Array(count * 6);
        for (let f = 0; f < count; f++) out.fill(Math.round(heat(first + f) * 255), f * 6, f * 6 + 6);
        return out;
      },
      close() {},
    };
  }
  async planExportFolder(parent: string, projectName: string, ifExists: 'ask' | 'replace' | 'new', range?: { startSec: number; endSec: number }) {
    const folder = path.join(parent, exportFolderName(projectName, range));
    let exists = false;
    try {
      exists = statSync(folder).isDirectory();
    } catch {
      exists = false;
    }
    return { folder, conflict: exists && ifExists === 'ask' };
  }
}

/** Folder rules that allow anything (export tests check the real ones). */
export const openFolders: ExportFolders = {
  suggest: (dir) => dir,
  fromSettings: async (input) => input,
  forExport: async (chosen) => chosen,
  roots: null,
};

export interface World {
  tmp: string;
  lib: Library;
  jobs: FakeJobs;
  engine: FakeEngine;
  changes: { projectId: number; what: string; detail?: string }[];
  logs: string[];
  editor: Editor;
  projectId: number;
  mediaId: number;
  mediaPath: string;
  /** A second editor over the same library, as after a restart of the app. */
  reopen(folders?: ExportFolders): Editor;
  close(): void;
}

export function world(folders: ExportFolders = openFolders): World {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-editor-'));
  const mediaPath = path.join(tmp, 'media', 'clip.mp4');
  mkdirSync(path.dirname(mediaPath), { recursive: true });
  writeFileSync(mediaPath, 'video');
  const lib = openLibrary(':memory:');
  const project = createProject(lib, {
    name: 'Clip',
    media: { path: mediaPath, fingerprint: { size: 5, mtimeMs: 1, quickHash: 'f'.repeat(64) }, probe: { durationSec: 20, hasVideo: true, hasAudio: true, sampleRate: 44100, channels: 2 } },
  });
  const jobs = new FakeJobs(lib);
  const engine = new FakeEngine();
  const changes: World['changes'] = [];
  const logs: string[] = [];
  const make = (f: ExportFolders) =>
    createEditor({
      store: libraryEditorStore(lib, async () => CARD),
      jobs,
      engine,
      events: { changed: (projectId, what, detail) => changes.push({ projectId, what, ...(detail ? { detail } : {}) }), log: (m) => logs.push(m) },
      folders: f,
      dataDir: path.join(tmp, 'data'),
      cacheDir: path.join(tmp, 'cache'),
      now: () => 1000,
    });
  return {
    tmp,
    lib,
    jobs,
    engine,
    changes,
    logs,
    editor: make(folders),
    projectId: project.id,
    mediaId: listMedia(lib, project.id)[0].id,
    mediaPath,
    reopen: (f = folders) => make(f),
    close() {
      lib.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The AppError code a call fails with (or 'no error'). */
export async function codeOf(work: () => unknown): Promise<string> {
  try {
    await work();
    return 'no error';
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
}
