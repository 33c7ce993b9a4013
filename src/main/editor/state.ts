/**
 * The read side shared by the services: everything the editor shows for a project
 * (editor.state), computed from the database on every call so it can never go stale.
 */
import path from 'node:path';
import type { EditorState, ExportSettingsView, StemView } from '../../shared/contract';
import { ApiError } from '../../shared/result';
import type { Stem } from '../engine/project/types';
import type { EditorStore, ExportFolders } from './ports';

export type AnalysisState = EditorState['analysis'];

export interface ProjectState {
  state(projectId: number): Promise<EditorState>;
  /** Only the stems the editor plays (see currentStems). */
  stems(projectId: number): StemView[];
  exportSettings(projectId: number): ExportSettingsView;
}

function activityOf(params: Record<string, unknown>): StemView['activity'] {
  const a = params.activity as { fps?: unknown; startSec?: unknown; values?: unknown } | undefined;
  if (!a || typeof a.fps !== 'number' || typeof a.startSec !== 'number' || !Array.isArray(a.values)) return null;
  return { fps: a.fps, startSec: a.startSec, values: a.values.filter((x): x is number => typeof x === 'number') };
}

/**
 * The stems the editor plays: per source (and the residual) the stem of the newest job that
 * produced a residual, so a source added later never mixes with an older residual that still
 * contains it.
 */
export function currentStems(sources: { id: number; index: number }[], stems: Stem[]): StemView[] {
  const order = new Map(sources.map((s) => [s.id, s.index] as const));
  const all = stems.filter((s) => s.sourceId === null || order.has(s.sourceId));
  const residual = all.find((s) => s.kind === 'residual');
  if (!residual || order.size === 0) return [];
  const rank = (s: { sourceId: number | null }) => (s.sourceId === null ? Infinity : (order.get(s.sourceId) ?? 0));
  return all
    .filter((s) => s.jobId === residual.jobId)
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

/**
 * True when the newest whole-file separation separated exactly the live sources. After a source
 * is removed (or added) the newest residual still lacks (or holds) its sound until the separation
 * that follows the edit finishes: those stems must not be exported as the project's sound.
 */
export function stemsMatchSources(liveSourceIds: readonly number[], stems: readonly Stem[]): boolean {
  const residual = stems.find((s) => s.kind === 'residual' && !s.preview);
  if (!residual) return liveSourceIds.length === 0;
  if (residual.jobId === null) return true; // its job row is gone: nothing to compare with
  const separated = new Set(stems.filter((s) => s.jobId === residual.jobId && s.sourceId !== null).map((s) => s.sourceId));
  return separated.size === liveSourceIds.length && liveSourceIds.every((id) => separated.has(id));
}

/** The stems were separated for another set of sources: a live source has no stem among them. */
export function stemsStale(sources: { id: number }[], stems: StemView[]): boolean {
  return stems.length > 0 && sources.some((s) => !stems.some((x) => x.sourceId === s.id));
}

export function createProjectState(store: EditorStore, folders: ExportFolders, analysisState: (mediaId: number) => Promise<AnalysisState>): ProjectState {
  function exportSettings(projectId: number): ExportSettingsView {
    const s = store.exportSettings(projectId);
    return { ...s, sampleRate: s.sampleRate === 44100 || s.sampleRate === 48000 ? s.sampleRate : null };
  }

  const stems = (projectId: number) => currentStems(store.sources(projectId), store.stems(projectId));

  return {
    stems,
    exportSettings,
    async state(projectId) {
      const m = store.media(projectId);
      const sources = store.sources(projectId);
      const live = new Set(sources.map((s) => s.id));
      const settings = exportSettings(projectId);
      const stems = currentStems(sources, store.stems(projectId));
      return {
        projectId,
        sources: sources.map((s) => ({ id: s.id, index: s.index, name: s.name, colour: s.colour, x: s.x, y: s.y, timeSec: s.timeSec })),
        channels: store
          .channels(projectId)
          .filter((c) => c.sourceId === null || live.has(c.sourceId))
          .map((c) => ({ id: c.id, role: c.role, sourceId: c.sourceId, gainDb: c.gainDb, pan: c.pan, mute: c.mute, solo: c.solo })),
        monitor: store.mixState(projectId).monitor,
        stems,
        stemsStale: stemsStale(sources, stems),
        history: store.history(projectId),
        exportSettings: settings,
        suggestedFolder: settings.folder ?? folders.suggest(path.dirname(m.path)),
        analysis: await analysisState(m.id),
      };
    },
  };
}

export function missingMedia(file: string): ApiError {
  return new ApiError('not_found', `${path.basename(file)} is missing; move it back or open it again.`);
}
