/**
 * export.settings / chooseFolder / start: where and what to export, and the export job. The
 * folder rules (dialog only, or typed within the roots) come in as ExportFolders, chosen once
 * when the services are wired.
 */
import type { EditorState, ExportSettingsView } from '../../shared/contract';
import { chosenTargets, EXPORT_TARGETS } from '../../shared/export-targets';
import { AppError } from '../../shared/errors';
import type { ExportJobParams, ExportJobResult, ExportRange, ExportStem } from '../engine/export/job';
import type { EditorEngine, EditorEvents, EditorJobs, EditorStore, ExportFolders } from './ports';
import { missingMedia, type ProjectState } from './state';

export interface ExportDeps {
  store: EditorStore;
  jobs: EditorJobs;
  engine: EditorEngine;
  events: EditorEvents;
  folders: ExportFolders;
  view: ProjectState;
  /** Starts the separation the stems still need (stale, or a preview only) unless one is running (separation.resume). */
  separateDue(projectId: number): void;
}

const RESIDUAL_COLOUR = '#8d95a5';

/** The stems the editor plays, with their files, names and mixer levels: what export and the loudness meter mix. */
export function mixStems(st: EditorState, store: Pick<EditorStore, 'stem'>): ExportStem[] {
  const sources = new Map(st.sources.map((x) => [x.id, x] as const));
  return st.stems.map((stem, i) => {
    const ch = stem.kind === 'residual' ? st.channels.find((c) => c.role === 'residual') : st.channels.find((c) => c.sourceId === stem.sourceId);
    const src = stem.sourceId !== null ? sources.get(stem.sourceId) : undefined;
    const file = store.stem(stem.id);
    if (!file) throw new AppError('not_found', 'That stem no longer exists; reload the project.');
    return {
      path: file.path,
      name: src ? src.name : 'residual',
      index: stem.kind === 'residual' ? st.stems.length : i + 1,
      colour: src?.colour ?? RESIDUAL_COLOUR,
      gainDb: ch?.gainDb ?? 0,
      pan: ch?.pan ?? 0,
      mute: ch?.mute ?? false,
      solo: ch?.solo ?? false,
    };
  });
}

/**
 * A region to export, as the renderer sent it: both ends finite, the start before the end, and
 * inside the media (0 to its duration).
 */
export function checkExportRange(range: ExportRange, durationSec: number): ExportRange {
  const { startSec, endSec } = range;
  const again = 'select the range again (drag on the ruler, or I and O).';
  if (!Number.isFinite(startSec) || !Number.isFinite(endSec)) throw new AppError('bad_request', `The selection to export needs a start and an end in seconds; ${again}`);
  if (!(startSec < endSec)) throw new AppError('bad_request', `The selection to export ends (${endSec} s) before it starts (${startSec} s); ${again}`);
  if (startSec < 0 || endSec > durationSec) {
    throw new AppError('bad_request', `The selection to export (${startSec} s to ${endSec} s) is not inside the media (0 s to ${durationSec} s); ${again}`);
  }
  return { startSec, endSec };
}

export function createExportService(deps: ExportDeps) {
  const { store, jobs, engine, folders, view } = deps;
  /** Export job -> the stem files it reads, while it runs. */
  const reading = new Map<string, string[]>();

  async function settings(projectId: number, patch: Partial<ExportSettingsView>): Promise<EditorState> {
    if (patch.folder !== undefined && patch.folder !== null) patch = { ...patch, folder: await folders.fromSettings(patch.folder) };
    store.setExportSettings(projectId, patch);
    return view.state(projectId);
  }

  async function chooseFolder(projectId: number): Promise<string | null> {
    if (!folders.dialog) throw new AppError('unsupported', 'There is no folder dialog in the browser; type the folder instead.');
    const picked = await folders.dialog((await view.state(projectId)).suggestedFolder);
    if (picked) store.setExportSettings(projectId, { folder: picked });
    return picked;
  }

  /** Export the chosen files, of the whole media or of `range` only (a time selection). */
  async function start(projectId: number, ifExists: 'ask' | 'replace' | 'new', range?: ExportRange): Promise<{ jobId: string | null; folder: string; conflict: boolean }> {
    const m = store.media(projectId);
    const region = range ? checkExportRange(range, m.facts.durationSec) : null;
    if (!(await engine.isFile(m.path))) throw missingMedia(m.path);
    const st = await view.state(projectId);
    const s = st.exportSettings;
    if (chosenTargets(s).length === 0) {
      throw new AppError('bad_request', `Choose at least one thing to export (${EXPORT_TARGETS.map((t) => t.label).join(', ')}).`);
    }
    if (st.stems.length === 0) throw new AppError('bad_request', 'There are no stems yet: click a source in the video and wait for the separation.');
    // Stems made for other sources would lose (or double) the sound of what changed: wait.
    if (st.stemsStale) {
      deps.separateDue(projectId);
      throw new AppError('bad_request', 'The sources changed since the stems were made and Stemsight is making them again; export when that has finished.');
    }
    if (st.stems.some((x) => x.preview)) {
      // Its whole-file separation may have been stopped: then it starts again.
      deps.separateDue(projectId);
      throw new AppError('bad_request', 'Only a preview of the stems is ready and Stemsight is separating the whole file; export when that has finished.');
    }
    const chosen = s.folder ?? st.suggestedFolder;
    if (!chosen) throw new AppError('bad_request', 'Choose a folder to export into.');
    const parent = await folders.forExport(chosen);
    const project = store.project(projectId);
    const plan = await engine.planExportFolder(parent, project.name, ifExists, region ?? undefined);
    if (plan.problem) throw new AppError('bad_request', plan.problem);
    if (plan.conflict) return { jobId: null, folder: plan.folder, conflict: true };
    const stems = mixStems(st, store);
    const params: ExportJobParams = {
      media: m.path,
      projectName: project.name,
      folder: plan.folder,
      replace: ifExists === 'replace',
      roots: folders.roots ? [...folders.roots] : null,
      stems,
      format: s.format,
      sampleRate: s.sampleRate,
      namingTemplate: s.namingTemplate,
      targets: chosenTargets(s).filter((id) => m.facts.hasVideo || !EXPORT_TARGETS.find((t) => t.id === id)?.needsVideo),
      range: region,
    };
    const jobId = jobs.start('export', params, { projectId, mediaId: m.id });
    reading.set(jobId, stems.map((x) => x.path));
    void jobs.wait(jobId).then((outcome) => {
      reading.delete(jobId);
      if (outcome.state === 'done') deps.events.changed(projectId, 'export', (outcome.result as ExportJobResult).folder);
    });
    return { jobId, folder: plan.folder, conflict: false };
  }

  /** Stem files exports in progress read: cleaning up old stem sets leaves them alone. */
  const filesInUse = (): ReadonlySet<string> => new Set([...reading.values()].flat());

  return { settings, chooseFolder, start, filesInUse };
}

export type ExportService = ReturnType<typeof createExportService>;
