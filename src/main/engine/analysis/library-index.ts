import { openLibrary, type Library } from '../project/db';
import { beginAnalysis, completeAnalysis, failAnalysis, getAnalysis, type AnalysisKey } from '../project/analyses';
import type { ModelCard } from '../models/card';
import type { AnalysisIndex } from './analyze';

/**
 * The analyses table as the index of analysis caches: one row per (media, 'features', model name,
 * model version + card sha), pointing at the cache's meta.json once it is complete.
 */

export const ANALYSIS_KIND = 'features';

export function analysisKey(mediaId: number, card: ModelCard): AnalysisKey {
  return { mediaId, kind: ANALYSIS_KIND, modelId: card.name, modelVersion: `${card.modelVersion}+${card.sha256.slice(0, 12)}` };
}

export function libraryIndex(lib: Library, mediaId: number, card: ModelCard): AnalysisIndex {
  const key = analysisKey(mediaId, card);
  let id: number | null = null;
  return {
    lookup: () => {
      const row = getAnalysis(lib, key);
      return row && row.status === 'ready' ? row.cachePath : null;
    },
    begin: () => {
      id = beginAnalysis(lib, key, { cardSha256: card.sha256 }).id;
    },
    complete: (metaPath) => {
      if (id === null) id = beginAnalysis(lib, key, { cardSha256: card.sha256 }).id;
      completeAnalysis(lib, id, metaPath);
    },
    fail: (message) => {
      if (id !== null) failAnalysis(lib, id, message);
    },
  };
}

/** For job workers: open the library file in this thread (its own connection). */
export function openLibraryIndex(libraryPath: string, mediaId: number, card: ModelCard): { index: AnalysisIndex; close: () => void } {
  const lib = openLibrary(libraryPath);
  return { index: libraryIndex(lib, mediaId, card), close: () => lib.close() };
}
