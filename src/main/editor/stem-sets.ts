/**
 * Which separation's stems the editor plays and exports. Every separation job writes one stem set
 * (a stem per source and the residual, which sum to the original). A set is only valid for the
 * sources it was separated for: when a source is added, moved or renamed as another class, the
 * residual of an older set still holds (or lacks) that sound, so stems of different sets must
 * never be mixed, and a set made for other sources is stale until a separation of the current
 * sources replaces it (a removal needs none: see below).
 *
 * A stem-edit job (strength, moved ranges: engine/stem-edit) makes an edited set from a separation's
 * set (its base), which the edited set's rows name; the edited set fits only the sources' edits it
 * was made with, the base only sources without edits.
 *
 * Removing a source is the one change that needs no separation: the set playing serves the
 * sources that stay (goneStems, foldFrom), and a stem-edit job adds the removed stems to its
 * residual. The new set keeps the other stems' files and names the same base.
 */
import type { Source, Stem, StemMove } from '../engine/project/types';
import { DEFAULT_STRENGTH } from '../../shared/stem-edit';

/** Where a source was clicked when it was separated (kept in each source stem's params; a type, so it is JSON). */
export type Click = {
  x: number;
  y: number;
  timeSec: number;
};

type QuerySource = Pick<Source, 'id' | 'x' | 'y' | 'timeSec' | 'className'>;

/** A source's query as its stems' params keep it: the click (null when named alone) and the class. */
export function queryParams(src: QuerySource): { click: Click | null; className: string | null } {
  const click = src.x === null || src.y === null || src.timeSec === null ? null : { x: src.x, y: src.y, timeSec: src.timeSec };
  return { click, className: src.className };
}

export interface StemSet {
  jobId: string;
  stems: Stem[];
  residual: Stem;
  preview: boolean;
  /** The separation's set an edited set was made from; null for a separation's own set. */
  base: string | null;
}

/** What a source's edits must be for a stem to fit it (see stemEditsOf). */
export type SourceFit = QuerySource & Partial<Pick<Source, 'strength' | 'moves'>>;

/** The edits a stem was made with (a separation's own stem: none). */
export function stemEditsOf(params: Record<string, unknown>): { strength: number; moves: StemMove[] } {
  return {
    strength: typeof params.strength === 'number' ? params.strength : DEFAULT_STRENGTH,
    moves: Array.isArray(params.moves) ? (params.moves as StemMove[]) : [],
  };
}

const movesKey = (moves: readonly StemMove[]) => JSON.stringify(moves.map((m) => [m.startSec, m.endSec, m.to]));

/** The source has edits: its stems come from a stem-edit job. */
export const hasEdits = (s: Partial<Pick<Source, 'strength' | 'moves'>>): boolean => (s.strength ?? DEFAULT_STRENGTH) !== DEFAULT_STRENGTH || (s.moves?.length ?? 0) > 0;

export interface StemChoice {
  /** The set to play: the newest that fits the sources (a whole-file one before a preview), else the newest (stale) one; null when none. */
  set: StemSet | null;
  /**
   * Stems were separated, but none for exactly the current sources: a separation is due. (Before
   * the first separation nothing is stale: there is nothing to redo yet.)
   */
  stale: boolean;
}

export function clickOf(params: Record<string, unknown>): Click | null {
  const c = params.click as Partial<Click> | undefined;
  if (!c || typeof c.x !== 'number' || typeof c.y !== 'number' || typeof c.timeSec !== 'number') return null;
  return { x: c.x, y: c.y, timeSec: c.timeSec };
}

/** Complete sets (with a residual), newest first; stems come newest first from the library. */
export function stemSets(stems: Stem[]): StemSet[] {
  const byJob = new Map<string, Stem[]>();
  for (const s of stems) {
    if (s.jobId === null) continue;
    const list = byJob.get(s.jobId) ?? [];
    list.push(s);
    byJob.set(s.jobId, list);
  }
  const sets: StemSet[] = [];
  for (const [jobId, list] of byJob) {
    const residual = list.find((s) => s.kind === 'residual');
    const base = (residual?.params as { base?: unknown } | undefined)?.base;
    if (residual) sets.push({ jobId, stems: list, residual, preview: residual.preview, base: typeof base === 'string' ? base : null });
  }
  return sets;
}

/** The stem in the set of each source it was made for, by source id. */
const stemsBySource = (set: StemSet) => new Map(set.stems.filter((s) => s.sourceId !== null).map((s) => [s.sourceId as number, s] as const));

/**
 * The stem was separated for this source's query: clicked at the same place and time, named the
 * same class. Stems recorded before clicks were kept match on the source alone, and those recorded
 * before classes were kept on the click.
 */
function queryFits(stem: Stem, src: QuerySource): boolean {
  const params = stem.params as Record<string, unknown>;
  const now = queryParams(src);
  if ('className' in params && params.className !== now.className) return false;
  if (!('click' in params)) return true;
  const click = clickOf(params);
  if (click === null || now.click === null) return click === now.click;
  return click.x === now.click.x && click.y === now.click.y && click.timeSec === now.click.timeSec;
}

/** The stem was made with the source's current strength and moved ranges. */
function editsFit(stem: Stem, src: SourceFit): boolean {
  const made = stemEditsOf(stem.params as Record<string, unknown>);
  return made.strength === (src.strength ?? DEFAULT_STRENGTH) && movesKey(made.moves) === movesKey(src.moves ?? []);
}

/**
 * Each source has a stem in the set that fits it (its query, and with edits its edits too); the
 * set may hold more sources (see goneStems). exact: no more.
 */
function serves(set: StemSet, sources: SourceFit[], fits: (stem: Stem, src: SourceFit) => boolean, exact: boolean): boolean {
  const bySource = stemsBySource(set);
  if (exact ? bySource.size !== sources.length : bySource.size < sources.length) return false;
  return sources.every((src) => {
    const stem = bySource.get(src.id);
    return stem !== undefined && fits(stem, src);
  });
}

const queryAndEditsFit = (stem: Stem, src: SourceFit) => queryFits(stem, src) && editsFit(stem, src);

/**
 * The set was made for exactly these sources: separated for the same ones, asked for by the same
 * query, and edited with their current strength and moved ranges.
 */
export function setFits(set: StemSet, sources: SourceFit[]): boolean {
  return serves(set, sources, queryAndEditsFit, true);
}

/** The set was separated for exactly these sources, asked for by the same query, whatever their edits. */
export function clicksFit(set: StemSet, sources: QuerySource[]): boolean {
  return serves(set, sources, queryFits, true);
}

/**
 * Stems of the set's sources that are not among these (removed since): their sound belongs to
 * the residual. A set of more sources serves fewer: each stem of a source that stays is as it was,
 * and the stems of those that went added to the residual give a residual that still sums with
 * them to the original (engine/stem-edit folds them in).
 */
export function goneStems(set: StemSet, sources: Pick<Source, 'id'>[]): Stem[] {
  const ids = new Set(sources.map((s) => s.id));
  return set.stems.filter((s) => s.sourceId !== null && !ids.has(s.sourceId));
}

/** A whole-file set before a preview, else the first (sets come newest first). */
const wholeFirst = (sets: StemSet[]): StemSet | null => sets.find((s) => !s.preview) ?? sets[0] ?? null;

export function chooseStems(sources: SourceFit[], stems: Stem[]): StemChoice {
  const sets = stemSets(stems);
  if (sources.length === 0) return { set: null, stale: false };
  // A whole-file set beats a preview of the same sources, whichever finished last.
  const fitting = wholeFirst(sets.filter((s) => setFits(s, sources)));
  if (fitting) return { set: fitting, stale: false };
  return { set: sets[0] ?? null, stale: sets.length > 0 };
}

/**
 * The separation's set a stem edit of these sources starts from: a separation (not an edited set)
 * made for their clicks, or for more sources (their stems are folded into the residual). Of those,
 * the one the newest set made for exactly these clicks came from (so an edit after an undo or a
 * removal keeps the stems heard until now), else the newest; a whole-file one before a preview;
 * null when none.
 */
export function editBase(sources: SourceFit[], stems: Stem[]): StemSet | null {
  const sets = stemSets(stems);
  const raw = sets.filter((s) => s.base === null && serves(s, sources, queryFits, false));
  const heard = wholeFirst(sets.filter((s) => clicksFit(s, sources) && raw.some((r) => r.jobId === (s.base ?? s.jobId))));
  return raw.find((r) => r.jobId === (heard?.base ?? heard?.jobId)) ?? wholeFirst(raw);
}

/**
 * The set a removal is folded from: the newest whole-file set made for these sources and more,
 * that fits each of these (query and edits), and none of whose other sources moved a range into
 * one of these (that range would stay in their stem though its move is gone). Its stems of these
 * sources, and its residual with the other stems added, are the set for these sources: nothing
 * is separated again and no stem the user hears changes. Null when none.
 */
export function foldFrom(sources: SourceFit[], stems: Stem[]): StemSet | null {
  const ids = new Set(sources.map((s) => s.id));
  const intoStaying = (stem: Stem) => stemEditsOf(stem.params as Record<string, unknown>).moves.some((m) => m.to !== null && ids.has(m.to));
  return (
    stemSets(stems).find(
      (set) => !set.preview && stemsBySource(set).size > sources.length && serves(set, sources, queryAndEditsFit, false) && !goneStems(set, sources).some(intoStaying),
    ) ?? null
  );
}

/** Whole-file sets kept besides the one playing, so that undo finds recent sources' stems again. */
export const KEEP_FULL_SETS = 3;

/**
 * Sets that may be deleted: previews other than the one playing (their whole file replaces them)
 * and whole-file sets beyond the newest KEEP_FULL_SETS. Never the set playing (nor the separation
 * it was edited from), nor a set with a file in inUse (an export reading it). Sets come newest first (stemSets).
 */
export function setsToDrop(sets: StemSet[], playing: string | null, inUse: ReadonlySet<string>): StemSet[] {
  // An edited set playing keeps its base: the next edit starts from it.
  const base = sets.find((s) => s.jobId === playing)?.base ?? null;
  let full = 0;
  return sets.filter((set) => {
    const keep = set.jobId === playing || set.jobId === base || set.stems.some((s) => inUse.has(s.path));
    if (!set.preview) full++;
    if (keep) return false;
    return set.preview || full > KEEP_FULL_SETS;
  });
}
