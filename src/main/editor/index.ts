/**
 * The editor: the services behind the editor requests of the contract (sources, mixer and
 * history, analysis, separation, export, playback), wired over shared ports. api.ts routes the
 * requests here; adapters.ts provides the real ports.
 */
import type { EditorState } from '../../shared/contract';
import { createAnalysisService } from './analysis';
import { createExportService, type ExportService } from './export';
import { createLoudnessService } from './loudness';
import { createMixerService } from './mixer';
import { createPlaybackService } from './playback';
import type { EditorEngine, EditorEvents, EditorJobs, EditorStore, ExportFolders } from './ports';
import { createSeparationService } from './separation';
import { createSourcesService } from './sources';
import { createProjectState } from './state';

export interface EditorPorts {
  store: EditorStore;
  jobs: EditorJobs;
  engine: EditorEngine;
  events: EditorEvents;
  /** Export folder rules, fixed for the transport the services serve. */
  folders: ExportFolders;
  /** Stems go under dataDir/stems; decoded audio under cacheDir/original. */
  dataDir: string;
  cacheDir: string;
  /** Clock for job output folder names (tests fix it). */
  now?: () => number;
}

export function createEditor(ports: EditorPorts) {
  const { store, jobs, engine, events, folders } = ports;
  const analysis = createAnalysisService({ store, jobs, engine, events });
  const view = createProjectState(store, folders, analysis);
  // Separation cleans up old stem sets but never one an export reads; export may start the
  // separation that is due. Each is handed the other's function, bound once both exist.
  let exporter: ExportService | undefined;
  const separation = createSeparationService({
    store,
    jobs,
    engine,
    events,
    dataDir: ports.dataDir,
    now: ports.now,
    filesInUse: () => exporter?.filesInUse() ?? new Set(),
    detectionsFile: (projectId) => analysis.detectionsFile(projectId),
  });
  exporter = createExportService({ store, jobs, engine, events, folders, view, separateDue: (projectId) => void separation.resume(projectId) });
  return {
    state: (projectId: number): Promise<EditorState> => view.state(projectId),
    /**
     * A project is opened: work that was due when the app last stopped (closed or killed during a
     * separation of changed sources) starts again.
     */
    opened(projectId: number): void {
      separation.resume(projectId);
    },
    analysis,
    sources: createSourcesService(store, view),
    mixer: createMixerService(store, view),
    separation,
    export: exporter,
    loudness: createLoudnessService(store, engine, view),
    playback: createPlaybackService(store, engine, ports.cacheDir),
    close: () => analysis.close(),
  };
}

export type Editor = ReturnType<typeof createEditor>;
