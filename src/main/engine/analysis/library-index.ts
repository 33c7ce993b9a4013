import type { Library } from '../project/db';
import { beginAnalysis, completeAnalysis, failAnalysis, getAnalysis, readyAnalyses } from '../project/analyses';
import type { ModelCard } from '../models/card';
import type { AnalysisIndex } from './analyze';
import { ANALYSIS_KIND, snapshotIndex, type IndexRecord, type IndexSnapshot } from './index-records';

/** The main thread's side of the analysis index (index-records.ts): reads and writes the library. */

/** What a job needs to look up the media's analyses without opening the database. */
export function indexSnapshot(lib: Library, mediaId: number): IndexSnapshot {
  return { mediaId, ready: readyAnalyses(lib, mediaId, ANALYSIS_KIND).map((a) => ({ modelId: a.modelId, modelVersion: a.modelVersion, cachePath: a.cachePath! })) };
}

/** Write a record a worker sent (JobRunner 'record' event). */
export function applyIndexRecord(lib: Library, r: IndexRecord): void {
  if (r.op === 'begin') {
    beginAnalysis(lib, r.key, { cardSha256: r.cardSha256 });
    return;
  }
  const row = getAnalysis(lib, r.key);
  if (r.op === 'complete') {
    completeAnalysis(lib, (row ?? beginAnalysis(lib, r.key, { cardSha256: r.cardSha256 })).id, r.metaPath!);
  } else if (row) {
    failAnalysis(lib, row.id, r.message ?? 'failed');
  }
}

/** The index on this thread's own library connection (tests, tools that run analysis in-process). */
export function libraryIndex(lib: Library, mediaId: number, card: ModelCard): AnalysisIndex {
  return snapshotIndex(indexSnapshot(lib, mediaId), card, (r) => applyIndexRecord(lib, r));
}

export { analysisKey, ANALYSIS_KIND } from './index-records';
