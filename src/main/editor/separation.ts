/**
 * separation.start: one job for the whole file, and before it a short preview of the region on
 * screen; when a job finishes its stems are recorded in the library and the UI is told. Sources
 * with edits (strength, moved ranges) then get a stem-edit job over that separation's stems; when
 * only the edits changed, the stem-edit job is all that runs (no model). So it is when a source was
 * removed: the stem-edit job adds its stem to the residual of the set playing (stem-sets.ts).
 */
import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { Manifest, SeparationJobParams } from '../engine/separation/job';
import type { StemEditJobParams } from '../engine/stem-edit/job';
import type { StemEditResult } from '../engine/stem-edit/apply';
import type { Source } from '../engine/project/types';
import type { EditorEngine, EditorEvents, EditorJobs, EditorStore } from './ports';
import { DEFAULT_STRENGTH } from '../../shared/stem-edit';
import { chooseStems, editBase, foldFrom, goneStems, hasEdits, queryParams, setsToDrop, stemSets, type StemSet } from './stem-sets';

/** A preview runs before the full file and everything else queued. */
export const PREVIEW_PRIORITY = 10;

export interface SeparationDeps {
  store: EditorStore;
  jobs: EditorJobs;
  engine: EditorEngine;
  events: EditorEvents;
  /** Stems are written under <dataDir>/stems/<projectId>/. */
  dataDir: string;
  /** Stem files an export in progress reads (their sets are never deleted under it). */
  filesInUse?: () => ReadonlySet<string>;
  /** Names each job's output folder uniquely; a clock in the app, fixed in tests. */
  now?: () => number;
  /** The media's detections file on real footage (sources on faces are speakers: dialogue); null otherwise. */
  detectionsFile?: (projectId: number) => string | null;
}

export interface Run {
  startSec?: number;
  durationSec?: number;
  preview: boolean;
}

export function createSeparationService(deps: SeparationDeps) {
  const { store, jobs } = deps;
  const now = deps.now ?? Date.now;
  /** Job id -> the user action it belongs to (the preview and whole-file jobs of one start). */
  const actions = new Map<string, { id: string; weight: number; members: string[] }>();
  /**
   * The action of the job being started: the runner reports a new job (queued) before start()
   * returns its id, and that report must already name the action.
   */
  let starting: { id: string | null; weight: number } | null = null;
  let runCount = 0;
  /** Running separation jobs -> the clicks they separate (an edit made meanwhile waits for them). */
  const separating = new Map<string, string>();
  const clicksKey = (sources: Source[]) => JSON.stringify(sources.map((s) => [s.id, s.x, s.y, s.timeSec, s.className]));

  /** A new folder under the project's stems folder (sets never share one: see dropOldSets). */
  const newFolder = (projectId: number, what: string) => path.join(deps.dataDir, 'stems', String(projectId), `${now().toString(36)}-${(runCount++).toString(36)}-${what}`);

  async function record(projectId: number, mediaId: number, jobId: string, sources: Source[], manifest: Manifest, outDir: string, preview: boolean): Promise<void> {
    const base = {
      projectId,
      mediaId,
      // The job row exists in the library (the runner inserted it); link the stems to it.
      jobId,
      modelId: manifest.model.name,
      modelVersion: manifest.model.version,
      sampleRate: manifest.stems.sampleRate,
      channels: manifest.stems.channels,
      frames: manifest.stems.frames,
      startFrame: Math.round(manifest.parameters.startSec * manifest.stems.sampleRate),
      preview,
    };
    const act = manifest.activity;
    for (const s of manifest.stems.sources) {
      const file = path.join(outDir, s.file);
      const values = act?.sources.find((a) => a.index === s.index)?.values;
      const src = sources[s.index - 1];
      await store.recordStem({
        ...base,
        sourceId: src.id,
        kind: 'source',
        path: file,
        sha256: await deps.engine.sha256(file),
        params: {
          mask: manifest.parameters.mask,
          // The query separated: a later move or class change of the source makes this set stale (stem-sets.ts).
          ...queryParams(src),
          ...(act && values ? { activity: { fps: act.fps, startSec: act.startTime, values: values.map((v) => Math.round(v * 1000) / 1000) } } : {}),
        },
      });
    }
    const residual = path.join(outDir, manifest.stems.residual);
    await store.recordStem({ ...base, sourceId: null, kind: 'residual', path: residual, sha256: await deps.engine.sha256(residual), params: { mask: manifest.parameters.mask } });
  }

  /** Starts the jobs; returns their ids (preview first). */
  function start(projectId: number, preview?: { startSec: number; spanSec: number }): string[] {
    const m = store.media(projectId);
    const sources = store.sources(projectId);
    if (sources.length === 0) throw new AppError('bad_request', 'Click on something in the video, or add a source by name, first: each is one source to separate.');
    const stems = store.stems(projectId);
    // Stems of the whole file made for exactly these sources and edits: nothing to do.
    const current = chooseStems(sources, stems);
    if (!current.stale && current.set && !current.set.preview) return [];
    // A source was removed: the whole-file set playing serves the others; its stem joins the residual.
    const folded = foldFrom(sources, stems);
    if (folded) {
      // Separations still running were asked for other sources: stop them before they use the machine.
      for (const old of jobs.active('separation', { projectId })) jobs.cancel(old);
      return [startEdit(projectId, folded, true)];
    }
    const base = editBase(sources, stems);
    // The whole file was separated for these clicks (or more): only the edits are due.
    if (base && !base.preview) return editDue(base, sources) ? [startEdit(projectId, base)] : [];
    // These clicks are being separated (with the same picture facts): edit the preview now; the
    // whole file is edited when it is done.
    const detections = deps.detectionsFile?.(projectId) ?? null;
    const key = JSON.stringify([clicksKey(sources), detections]);
    if (jobs.active('separation', { projectId }).some((j) => separating.get(j) === key)) return base && editDue(base, sources) ? [startEdit(projectId, base)] : [];
    // Newer clicks make older separations (and edits of their stems) stale: stop them before they use the machine.
    for (const old of [...jobs.active('separation', { projectId }), ...jobs.active('stem-edit', { projectId })]) jobs.cancel(old);
    const durationSec = m.facts.durationSec;
    const runs: Run[] = [];
    const members: string[] = [];
    if (preview && preview.spanSec < durationSec - 0.5) {
      const startSec = Math.max(0, Math.min(preview.startSec, Math.max(0, durationSec - preview.spanSec)));
      runs.push({ startSec, durationSec: preview.spanSec, preview: true });
    }
    runs.push({ preview: false });
    return runs.map((run) => {
      // One folder per job (the counter keeps two jobs started in the same millisecond apart): a
      // set's folder is deleted with it, so sets must never share one.
      const outDir = newFolder(projectId, run.preview ? 'preview' : 'full');
      const params: SeparationJobParams = {
        media: m.path,
        sources: sources.map((s) => ({ x: s.x, y: s.y, timeSec: s.timeSec, className: s.className })),
        outDir,
        // Float stems: the mix and exports are computed from them, so keep full resolution.
        format: 'f32',
        startSec: run.startSec,
        durationSec: run.durationSec,
        index: store.analysisIndex(m.id),
        ...(detections ? { detections } : {}),
        // A speaker's stem as separated stays with the set: a new strength cleans it again (stem-edit).
        keepSeparated: true,
        // The user's word on the picture wins; with 'auto' the job reuses the analysis's decision (cached).
        scene: detections ? 'real' : m.scene,
      };
      const weight = run.durationSec ?? durationSec;
      starting = { id: members[0] ?? null, weight };
      let id: string;
      try {
        id = jobs.start('separation', params, { projectId, mediaId: m.id, priority: run.preview ? PREVIEW_PRIORITY : 0 });
      } finally {
        starting = null;
      }
      members.push(id);
      actions.set(id, { id: members[0], weight, members });
      separating.set(id, key);
      void jobs.wait(id).then(async (outcome) => {
        separating.delete(id);
        // Forget the action once all of its jobs have finished.
        if (members.every((j) => j === id || !jobs.active('separation', { projectId }).includes(j))) for (const j of members) actions.delete(j);
        if (outcome.state !== 'done') {
          // Cancelling or failing one part of the action stops the rest: it is one job to the user.
          for (const j of members) if (j !== id) jobs.cancel(j);
          return;
        }
        try {
          await record(projectId, m.id, id, sources, outcome.result as Manifest, outDir, run.preview);
          deps.events.changed(projectId, 'stems');
          await dropOldSets(projectId);
          editIfDue(projectId);
        } catch (err) {
          deps.events.log('recording stems failed', err);
        }
      });
      return id;
    });
  }

  /** A separation's set does not fit the sources as it is: they have edits, or it has stems of removed sources. */
  const editDue = (base: StemSet, sources: Source[]): boolean => sources.some(hasEdits) || goneStems(base, sources).length > 0;

  /** After a separation: its stems get the sources' edits (and lose removed sources) when due. */
  function editIfDue(projectId: number): void {
    const sources = store.sources(projectId);
    const stems = store.stems(projectId);
    if (!chooseStems(sources, stems).stale) return;
    const base = editBase(sources, stems);
    if (base && editDue(base, sources)) startEdit(projectId, base);
  }

  /**
   * A stem-edit job over the set `from`, a separation's set to which the sources' current edits
   * are applied, or (applied: a removal) a set already made with them, of which only the stems of
   * removed sources move to the residual. When it is done its set is recorded: the stems it wrote,
   * from's files for the stems it left as they were, and the new residual.
   */
  function startEdit(projectId: number, from: StemSet, applied = false): string {
    for (const old of jobs.active('stem-edit', { projectId })) jobs.cancel(old);
    const m = store.media(projectId);
    const sources = store.sources(projectId);
    const stemOf = (src: Source) => from.stems.find((s) => s.sourceId === src.id)!;
    const edits = (src: Source) => (applied ? { strength: DEFAULT_STRENGTH, moves: [] } : src);
    const index = new Map(sources.map((s, k) => [s.id, k] as const));
    // A range moved to a source that is gone goes to the residual.
    const target = (to: number | null) => (to !== null && index.has(to) ? index.get(to)! : null);
    const outDir = newFolder(projectId, 'edit');
    const params: StemEditJobParams = {
      sources: sources.map((s) => ({ file: stemOf(s).path, strength: edits(s).strength, moves: edits(s).moves.map((mv) => ({ startSec: mv.startSec, endSec: mv.endSec, to: target(mv.to) })) })),
      residual: from.residual.path,
      fold: goneStems(from, sources).map((s) => s.path),
      startSec: from.residual.startFrame / from.residual.sampleRate,
      order: sources
        .flatMap((s, k) => edits(s).moves.map((mv) => ({ k, mv })))
        .sort((a, b) => a.mv.seq - b.mv.seq)
        .map(({ k, mv }) => [k, { startSec: mv.startSec, endSec: mv.endSec, to: target(mv.to) }]),
      outDir,
    };
    const id = jobs.start('stem-edit', params, { projectId, mediaId: m.id, priority: from.preview ? PREVIEW_PRIORITY : 0 });
    void jobs.wait(id).then(async (outcome) => {
      if (outcome.state !== 'done') return;
      try {
        await recordEdited(projectId, id, from, sources, outcome.result as StemEditResult, outDir);
        deps.events.changed(projectId, 'stems');
        await dropOldSets(projectId);
      } catch (err) {
        deps.events.log('recording edited stems failed', err);
      }
    });
    return id;
  }

  /** The residual is recorded last: until it is, the set is incomplete and never shown (stemSets). */
  async function recordEdited(projectId: number, jobId: string, from: StemSet, sources: Source[], result: StemEditResult, outDir: string): Promise<void> {
    const r = from.residual;
    // The separation the new set comes from: from itself, or the one from was edited from.
    const base = from.base ?? from.jobId;
    const common = { projectId, mediaId: r.mediaId, jobId, modelId: r.modelId, modelVersion: r.modelVersion, sampleRate: result.sampleRate, channels: result.channels, frames: result.frames, startFrame: r.startFrame, preview: r.preview };
    for (const [k, src] of sources.entries()) {
      const was = from.stems.find((s) => s.sourceId === src.id)!;
      const name = result.sources[k];
      const file = name ? path.join(outDir, name) : was.path;
      await store.recordStem({
        ...common,
        sourceId: src.id,
        kind: 'source',
        path: file,
        sha256: name ? await deps.engine.sha256(file) : was.sha256,
        // The edits it was made with (stem-sets.ts compares them with the source's).
        params: { ...was.params, strength: src.strength, moves: src.moves.map((mv) => ({ ...mv })), base },
      });
    }
    const residual = path.join(outDir, result.residual);
    await store.recordStem({ ...common, sourceId: null, kind: 'residual', path: residual, sha256: await deps.engine.sha256(residual), params: { ...r.params, base } });
  }

  /**
   * Old stem sets go once a new one is recorded (see setsToDrop): their rows first, then their
   * folders, each only when no remaining stem row points into it and it lies in this project's
   * stems folder. Jobs still running write into folders that have no rows yet, so they are safe.
   */
  async function dropOldSets(projectId: number): Promise<void> {
    const stems = store.stems(projectId);
    const playing = chooseStems(store.sources(projectId), stems).set?.jobId ?? null;
    const root = path.join(deps.dataDir, 'stems', String(projectId));
    for (const set of setsToDrop(stemSets(stems), playing, deps.filesInUse?.() ?? new Set())) {
      const dirs = new Set(store.removeStems(projectId, set.stems.map((s) => s.id)).map((f) => path.dirname(f)));
      const used = new Set(store.stems(projectId).map((s) => path.dirname(s.path)));
      for (const dir of dirs) {
        if (used.has(dir) || path.dirname(dir) !== root) continue;
        await deps.engine.removeDir(dir);
      }
    }
  }

  /**
   * Pending work, after a restart or a stopped job: when the sources changed since the stems were
   * separated, or only a preview of them was (the app was closed or killed, or the separation was
   * cancelled or failed, before it finished), start it again. Returns the job ids, or [] when
   * nothing is due or one is already running.
   */
  function resume(projectId: number): string[] {
    if (!due(projectId) || running(projectId)) return [];
    try {
      return start(projectId);
    } catch (err) {
      // The media may be missing: the editor says so where it reads the file; nothing to resume.
      deps.events.log('could not resume the separation', err);
      return [];
    }
  }

  /** The stems on screen are not the whole file's for the current sources: stale, or a preview. */
  function due(projectId: number): boolean {
    const choice = chooseStems(store.sources(projectId), store.stems(projectId));
    return choice.stale || (choice.set?.preview ?? false);
  }

  /** A separation (or a stem edit) of the project is queued or running. */
  const running = (projectId: number): boolean => jobs.active('separation', { projectId }).length + jobs.active('stem-edit', { projectId }).length > 0;

  /** The user action a separation job belongs to, for the progress events; null when unknown. */
  function actionOf(jobId: string): { id: string; weight: number } | null {
    const a = actions.get(jobId);
    if (a) return { id: a.id, weight: a.weight };
    return starting ? { id: starting.id ?? jobId, weight: starting.weight } : null;
  }

  /** Every job of the action that jobId belongs to (just jobId for any other job). */
  const together = (jobId: string): string[] => actions.get(jobId)?.members ?? [jobId];

  return { start, resume, running, actionOf, together };
}

export type SeparationService = ReturnType<typeof createSeparationService>;
