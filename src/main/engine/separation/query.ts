import { AppError } from '../../../shared/errors';
import { MAX_SOURCES } from '../../../shared/mixer';
import type { AnalysisCache } from '../analysis/cache';
import type { ModelCard } from '../models/card';
import type { SourceInput } from '../stages';
import { clickCell, neighbourhoodVector, type Click } from './features';

/**
 * One query for every front end. A front end (a click on the emoji world, a click on a detected
 * face, the CLI's --source, a name typed for an audio-only file) asks for a source with what it
 * knows: a point in the picture, a class name, or both. The separation models take one query
 * vector per source, composed here exactly as the appearance network was trained
 * (training/nets.py, AppearanceModel.query):
 *
 *   query = pixel feature at the point (when there is one) + the card's class query (when named)
 *
 * A card without classQueries (weights trained before them) cannot honour a name: a source with a
 * name alone is refused, and one with a point and a name uses the point alone and says so.
 */

/** A query that cannot be separated as asked (an unknown class, a name the card cannot honour). */
export class QueryError extends AppError {
  override name = 'QueryError';
  constructor(message: string) {
    super('bad_request', message);
  }
}

export interface SourceQuery {
  /** The click: 0..1 of the ORIGINAL frame from the top-left, and the time of its frame; all three or none. */
  x?: number | null;
  y?: number | null;
  timeSec?: number | null;
  /** A class of the model card (shared/classes.ts names them for the user). */
  className?: string | null;
  /**
   * false: the point says where the source is (for the manifest, a face's activity) but the
   * picture's features are left out of the query. On real footage they mean nothing to a network
   * trained on the synthetic world, so a named source is asked for by its name alone there.
   */
  usePicture?: boolean;
}

/** The query's click point; null for a source asked for by name alone. */
export function pointOf(q: SourceQuery): Click | null {
  return q.x == null || q.y == null || q.timeSec == null ? null : { x: q.x, y: q.y, timeSec: q.timeSec };
}

/**
 * Checks every query before any work starts (with the card: against what the model knows);
 * messages name the source (1-based).
 */
export function validateQueries(queries: SourceQuery[], card?: Pick<ModelCard, 'classes' | 'classQueries' | 'name' | 'modelVersion'>): void {
  if (queries.length === 0) throw new QueryError('give at least one source to separate');
  if (queries.length > MAX_SOURCES) throw new QueryError(`at most ${MAX_SOURCES} sources can be separated at once, got ${queries.length}`);
  queries.forEach((q, i) => {
    const parts = [q.x, q.y, q.timeSec].filter((v) => v != null).length;
    if (parts !== 0 && parts !== 3) throw new QueryError(`source ${i + 1}: a point needs X, Y and its time together`);
    if (parts === 0 && q.className == null) throw new QueryError(`source ${i + 1}: give a point in the picture, a class name, or both`);
    const p = pointOf(q);
    if (p && !(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1)) throw new QueryError(`source ${i + 1}: X,Y must be numbers in 0..1 (got ${p.x},${p.y})`);
    if (p && !(Number.isFinite(p.timeSec) && p.timeSec >= 0)) throw new QueryError(`source ${i + 1}: time must be a number of seconds >= 0`);
    if (q.className != null && card && !card.classes.includes(q.className)) {
      throw new QueryError(`source ${i + 1}: the model knows no class '${q.className}' (it knows ${card.classes.join(', ')})`);
    }
    if (q.className != null && card && !p && !card.classQueries?.[q.className]) {
      throw new QueryError(
        `source ${i + 1} is asked for by name ('${q.className}') alone, but the installed model (${card.name} ${card.modelVersion}) was trained without class queries; click the source in the picture instead, or install a model that has them`,
      );
    }
  });
}

/** The point whose picture features go into the query; null for a name alone or a real-footage name. */
export const picturePoint = (q: SourceQuery): Click | null => (q.usePicture === false ? null : pointOf(q));

/** True when some query uses the picture: only then are its features (the analysis) needed. */
export const anyPoint = (queries: SourceQuery[]): boolean => queries.some((q) => picturePoint(q) !== null);

/** Where a click landed on real footage: on a face (its track) or not (null). */
export type FaceAt = (x: number, y: number, timeSec: number) => number | null;

/**
 * The queries for real footage: a click on a face asks for a speaker unless it says otherwise, and
 * a click with a class asks by the class alone. A click with no class and no face under it keeps
 * its picture features, with a warning: the network was never trained on real pictures.
 */
export function realFootageQueries(queries: SourceQuery[], faceAt: FaceAt): { queries: SourceQuery[]; warnings: string[] } {
  const warnings: string[] = [];
  const out = queries.map((q, i) => {
    const p = pointOf(q);
    if (!p) return q;
    const className = q.className ?? (faceAt(p.x, p.y, p.timeSec) !== null ? 'speaker' : null);
    if (className) return { ...q, className, usePicture: false };
    warnings.push(`source ${i + 1}: on real footage a click that is not on a face does not say what sounds there; name it (X,Y,CLASS, or 'What do they play?' in the app)`);
    return q;
  });
  return { queries: out, warnings };
}

/**
 * The training's composition: pixel * use_visual + classQuery * named, where a missing part
 * counts as not used. At least one part is present (validateQueries).
 */
export function composeQuery(k: number, pixel: Float32Array | null, classQuery: readonly number[] | null): Float32Array {
  const out = new Float32Array(k);
  if (pixel) out.set(pixel.subarray(0, k));
  if (classQuery) for (let i = 0; i < k; i++) out[i] += classQuery[i];
  return out;
}

export interface ComposedSources {
  inputs: SourceInput[];
  /** What the result must tell the user (a name the model could not use). */
  warnings: string[];
}

/**
 * The query vectors of the sources: pixel features at each point from the analysis cache (null
 * when no source has a point), class queries from the card.
 */
export async function composeSources(card: ModelCard, cache: AnalysisCache | null, queries: SourceQuery[]): Promise<ComposedSources> {
  validateQueries(queries, card);
  const k = card.video.features;
  const inputs: SourceInput[] = [];
  const warnings: string[] = [];
  for (const [i, q] of queries.entries()) {
    // A card without the class's query cannot ask by name: the picture is all there is then.
    const named = q.className != null && !!card.classQueries?.[q.className];
    const point = named ? picturePoint(q) : pointOf(q);
    let pixel: Float32Array | null = null;
    let cell: SourceInput['cell'] = null;
    if (point) {
      if (!cache) throw new QueryError(`source ${i + 1} has a point in the picture, but the media has no analysis of its picture`);
      const m = cache.meta;
      const frame = cache.frameAt(point.timeSec);
      const { row, col } = clickCell({ geometry: m.geometry, stride: m.featureStride, grid: m.grid }, point.x, point.y);
      pixel = neighbourhoodVector(await cache.visualFeatures(frame), m.features, m.grid, row, col);
      cell = { row, col, frame };
    }
    let classQuery: readonly number[] | null = null;
    if (q.className != null) {
      classQuery = card.classQueries?.[q.className] ?? null;
      // (A name alone without a class query was refused by validateQueries.)
      if (!classQuery) warnings.push(`source ${i + 1}: the installed model cannot use the class name '${q.className}', so the click alone chose the sound`);
    }
    inputs.push({ features: composeQuery(k, pixel, classQuery), cell });
  }
  return { inputs, warnings };
}
