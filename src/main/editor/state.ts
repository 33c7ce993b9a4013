/**
 * The read side shared by the services: everything the editor shows for a project
 * (editor.state), computed from the database on every call so it can never go stale.
 */
import path from 'node:path';
import type { EditorState, ExportSettingsView, SceneView, StemView } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import type { Source, Stem } from '../engine/project/types';
import { chooseStems, type SourceFit } from './stem-sets';
import type { EditorStore, ExportFolders } from './ports';

export type AnalysisState = EditorState['analysis'];

export interface ProjectState {
  state(projectId: number): Promise<EditorState>;
  /** Only the stems the editor plays, and whether they were separated for other sources (see currentStems). */
  stems(projectId: number): { stems: StemView[]; stale: boolean; residualParts: StemView[] };
  exportSettings(projectId: number): ExportSettingsView;
}

function activityOf(params: Record<string, unknown>): StemView['activity'] {
  const a = params.activity as { fps?: unknown; startSec?: unknown; values?: unknown } | undefined;
  if (!a || typeof a.fps !== 'number' || typeof a.startSec !== 'number' || !Array.isArray(a.values)) return null;
  return { fps: a.fps, startSec: a.startSec, values: a.values.filter((x): x is number => typeof x === 'number') };
}

/**
 * The stems the editor plays: the set of the newest separation made for exactly the current
 * sources (see stem-sets.ts), else the newest set, marked stale. Stems of different separations
 * are never mixed, so a source added later never plays beside an older residual that holds it.
 */
export function currentStems(sources: (SourceFit & Pick<Source, 'index' | 'className'>)[], stems: Stem[]): { stems: StemView[]; stale: boolean; residualParts: StemView[] } {
  const choice = chooseStems(sources, stems);
  if (!choice.set) return { stems: [], stale: choice.stale, residualParts: [] };
  const order = new Map(sources.map((s) => [s.id, s.index] as const));
  const rank = (s: { sourceId: number | null }) => (s.sourceId === null ? Infinity : (order.get(s.sourceId) ?? 0));
  const live = (s: Stem) => s.sourceId === null || order.has(s.sourceId);
  const view = (s: Stem): StemView => ({
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
    });
  const views = choice.set.stems.filter(live).sort((a, b) => rank(a) - rank(b)).map(view);
  // Stems of removed sources: their sound belongs to the residual (residual = original - the
  // remaining stems) until the remaining sources are separated again.
  return { stems: views, stale: choice.stale, residualParts: choice.set.stems.filter((s) => !live(s)).map(view) };
}

export function createProjectState(
  store: EditorStore,
  folders: ExportFolders,
  analysis: { status: (mediaId: number) => Promise<AnalysisState>; scene: (projectId: number) => SceneView },
): ProjectState {
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
      const current = currentStems(sources, store.stems(projectId));
      return {
        projectId,
        sources: sources.map((s) => ({ id: s.id, index: s.index, name: s.name, colour: s.colour, x: s.x, y: s.y, timeSec: s.timeSec, className: s.className, strength: s.strength, moves: s.moves })),
        channels: store
          .channels(projectId)
          .filter((c) => c.sourceId === null || live.has(c.sourceId))
          .map((c) => ({ id: c.id, role: c.role, sourceId: c.sourceId, gainDb: c.gainDb, pan: c.pan, mute: c.mute, solo: c.solo })),
        monitor: store.mixState(projectId).monitor,
        stems: current.stems,
        stemsStale: current.stale,
        residualParts: current.residualParts,
        history: store.history(projectId),
        exportSettings: settings,
        suggestedFolder: settings.folder ?? folders.suggest(path.dirname(m.path)),
        analysis: await analysis.status(m.id),
        scene: analysis.scene(projectId),
      };
    },
  };
}

export function missingMedia(file: string): AppError {
  return new AppError('not_found', `${path.basename(file)} is missing; move it back or open it again.`);
}
