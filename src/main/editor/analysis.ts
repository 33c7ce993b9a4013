/**
 * editor.analyze and editor.heatmaps: runs the analysis job for a project's media and serves
 * the source model's heatmaps from its cache. Whether an analysis is ready or failed is read
 * from the analyses and jobs tables (the main thread records both); only the open cache files
 * are kept here, as a cache of the table's cache path.
 */
import type { DetectionsView, Heatmaps, SceneSetting, SceneView } from '../../shared/contract';
import type { AnalysisJobParams, AnalysisJobResult } from '../engine/analysis/job';
import type { EditorEngine, EditorEvents, EditorJobs, EditorStore, HeatmapReader } from './ports';
import type { AnalysisState } from './state';

/** Above separation previews (10): the heatmap and every separation need the analysis first. */
export const ANALYSIS_PRIORITY = 11;

export interface AnalysisDeps {
  store: EditorStore;
  jobs: EditorJobs;
  engine: EditorEngine;
  events: EditorEvents;
}

export function createAnalysisService(deps: AnalysisDeps) {
  const { store, jobs, engine } = deps;
  const readers = new Map<string, Promise<HeatmapReader | null>>(); // cache path -> open cache

  /** The newest finished analysis, when it was made for the media's current scene setting. */
  function sceneResult(mediaId: number, setting: SceneSetting): AnalysisJobResult | null {
    const r = store.lastAnalysisResult(mediaId) as Partial<AnalysisJobResult> | null;
    return r?.scene?.setting === setting ? (r as AnalysisJobResult) : null;
  }

  function scene(projectId: number): SceneView {
    const m = store.media(projectId);
    const r = sceneResult(m.id, m.scene);
    const v = r?.scene.verdict;
    const reason = v ? (v.kind === 'real' ? `people seen in ${v.framesWithPeople} of ${v.frames} frames looked at` : `no people seen in ${v.frames - v.framesWithPeople} of ${v.frames} frames looked at`) : null;
    return { setting: m.scene, kind: r?.scene.kind ?? null, reason };
  }

  async function status(mediaId: number): Promise<AnalysisState> {
    if (jobs.active('analysis', { mediaId }).length > 0) return 'running';
    const row = await store.analysis(mediaId);
    if (row?.status === 'ready') return 'ready';
    if (row?.status === 'failed' || store.lastJobState('analysis', mediaId) === 'failed') return 'failed';
    return 'none';
  }

  /**
   * Starts the analysis unless it is ready for the media's scene setting (null) or already running
   * (that job's id). A ready analysis made for another setting runs again: its features come from
   * the cache, only the scene decision and the detections are new.
   */
  async function analyze(projectId: number): Promise<string | null> {
    const m = store.media(projectId);
    const running = jobs.active('analysis', { mediaId: m.id });
    if (running.length > 0) return running[0];
    if ((await store.analysis(m.id))?.status === 'ready' && sceneResult(m.id, m.scene)) return null;
    const params: AnalysisJobParams = { media: m.path, index: store.analysisIndex(m.id), scene: m.scene };
    const id = jobs.start('analysis', params, { projectId, mediaId: m.id, priority: ANALYSIS_PRIORITY });
    void jobs.wait(id).then(() => deps.events.changed(projectId, 'analysis'));
    return id;
  }

  function reader(cachePath: string): Promise<HeatmapReader | null> {
    let p = readers.get(cachePath);
    if (!p) {
      p = engine.openHeatmaps(cachePath);
      readers.set(cachePath, p);
      // A cache that could not be opened may be rebuilt: ask again next time.
      void p.then((r) => r ?? readers.delete(cachePath), () => readers.delete(cachePath));
    }
    return p;
  }

  async function heatmaps(projectId: number, fromSec: number, spanSec: number): Promise<Heatmaps | null> {
    const m = store.media(projectId);
    const row = await store.analysis(m.id);
    if (row?.status !== 'ready' || !row.cachePath) return null;
    const h = await reader(row.cachePath);
    if (!h) return null;
    const first = Math.min(h.frames - 1, Math.max(0, Math.floor(fromSec * h.fps)));
    const count = Math.max(1, Math.min(h.frames - first, Math.ceil(spanSec * h.fps)));
    const bytes = await h.read(first, count);
    const frameCount = bytes.length / (h.rows * h.cols);
    return { grid: [h.rows, h.cols], fps: h.fps, firstFrame: first, frameCount, totalFrames: h.frames, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }

  /** The detections cache file of real footage; null on a synthetic scene or before detection. */
  function detectionsFile(projectId: number): string | null {
    const m = store.media(projectId);
    return sceneResult(m.id, m.scene)?.detections?.path ?? null;
  }

  /** Faces, people and hands over time on real footage; null on a synthetic scene or before detection. */
  async function detections(projectId: number): Promise<DetectionsView | null> {
    const file = detectionsFile(projectId);
    return file ? engine.detectionTracks(file) : null;
  }

  /** The user says what the picture is: stored, and the analysis follows it. */
  async function setScene(projectId: number, setting: SceneSetting): Promise<void> {
    store.setScene(projectId, setting);
    if (store.media(projectId).facts.hasVideo) await analyze(projectId);
  }

  async function close(): Promise<void> {
    for (const p of readers.values()) (await p.catch(() => null))?.close();
    readers.clear();
  }

  return { status, scene, analyze, heatmaps, detections, detectionsFile, setScene, close };
}

export type AnalysisService = ReturnType<typeof createAnalysisService>;
