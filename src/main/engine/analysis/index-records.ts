import type { AnalysisKey } from '../project/analyses';
import type { ModelCard } from '../models/card';
import type { AnalysisIndex } from './analyze';

/**
 * The analyses table as the index of analysis caches, seen from a worker thread: workers never
 * open the database. The main thread hands the job a snapshot of the media's ready analyses
 * (library-index.ts indexSnapshot), and the worker sends back what happened as records
 * (ctx.record) for the main thread to write (library-index.ts applyIndexRecord).
 * One row per (media, 'features', model name, model version + card sha), pointing at the cache's
 * meta.json once it is complete.
 */

export const ANALYSIS_KIND = 'features';

export function analysisKey(mediaId: number, card: ModelCard): AnalysisKey {
  return { mediaId, kind: ANALYSIS_KIND, modelId: card.name, modelVersion: `${card.modelVersion}+${card.sha256.slice(0, 12)}` };
}

/** The media's ready analyses, as the library had them when the job started. */
export interface IndexSnapshot {
  mediaId: number;
  ready: { modelId: string; modelVersion: string; cachePath: string }[];
}

export interface IndexRecord {
  type: 'analysis-index';
  /** begin: computing (row pending); complete: cache ready at metaPath; fail: computing failed. */
  op: 'begin' | 'complete' | 'fail';
  key: AnalysisKey;
  cardSha256: string;
  metaPath?: string;
  message?: string;
}

export function isIndexRecord(value: unknown): value is IndexRecord {
  const r = value as IndexRecord | null;
  return typeof r === 'object' && r !== null && r.type === 'analysis-index' && ['begin', 'complete', 'fail'].includes(r.op) && typeof r.key === 'object';
}

/** An AnalysisIndex that reads the snapshot and reports every change through `send`. */
export function snapshotIndex(snapshot: IndexSnapshot, card: ModelCard, send: (record: IndexRecord) => void): AnalysisIndex {
  const key = analysisKey(snapshot.mediaId, card);
  const record = (op: IndexRecord['op'], extra: Partial<IndexRecord> = {}) => send({ type: 'analysis-index', op, key, cardSha256: card.sha256, ...extra });
  let begun = false;
  return {
    lookup: () => snapshot.ready.find((r) => r.modelId === key.modelId && r.modelVersion === key.modelVersion)?.cachePath ?? null,
    begin: () => {
      begun = true;
      record('begin');
    },
    complete: (metaPath) => {
      if (!begun) record('begin');
      begun = true;
      record('complete', { metaPath });
    },
    fail: (message) => {
      if (begun) record('fail', { message });
    },
  };
}
