/**
 * Which separation's stems the editor plays and exports. Every separation job writes one stem set
 * (a stem per source and the residual, which sum to the original). A set is only valid for the
 * sources it was separated for: when a source is added, moved, renamed as another class or removed, the residual of an older
 * set still holds (or lacks) that sound, so stems of different sets must never be mixed, and a set
 * made for other sources is stale until a separation of the current sources replaces it.
 *
 * A stem-edit job (strength, moved ranges: engine/stem-edit) makes an edited set from a separation's
 * set (its base), which the edited set's rows name; the edited set fits only the sources' edits it
 * was made with, the base only sources without edits.
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

/**
 * The set was made for exactly these sources: separated for the same ones, asked for by the same
 * query, and edited with their current strength and moved ranges.
 */
export function setFits(set: StemSet, sources: SourceFit[]): boolean {
  if (!clicksFit(set, sources)) return false;
  const bySource = new Map(set.stems.filter((s) => s.sourceId !== null).map((s) => [s.sourceId as number, s] as const));
  return sources.every((src) => {
    const made = stemEditsOf(bySource.get(src.id)!.params as Record<string, unknown>);
    return made.strength === (src.strength ?? DEFAULT_STRENGTH) && movesKey(made.moves) === movesKey(src.moves ?? []);
  });
}

/**
 * The set was separated for exactly these sources: the same ones, asked for by the same query
 * (clicked at the same place and time, named the same class), whatever their edits. Stems recorded
 * before clicks were kept match on the sources alone, and those recorded before classes were kept
 * on the click.
 */
export function clicksFit(set: StemSet, sources: QuerySource[]): boolean {
  const bySource = new Map(set.stems.filter((s) => s.sourceId !== null).map((s) => [s.sourceId as number, s] as const));
  if (bySource.size !== sources.length) return false;
  return sources.every((src) => {
    const stem = bySource.get(src.id);
    if (!stem) return false;
    const params = stem.params as Record<string, unknown>;
    const now = queryParams(src);
    if ('className' in params && params.className !== now.className) return false;
    if (!('click' in params)) return true;
    const click = clickOf(params);
    if (click === null || now.click === null) return click === now.click;
    return click.x === now.click.x && click.y === now.click.y && click.timeSec === now.click.timeSec;
  });
}

export function chooseStems(sources: SourceFit[], stems: Stem[]): StemChoice {
  const sets = stemSets(stems);
  if (sources.length === 0) return { set: null, stale: false };
  // A whole-file set beats a preview of the same sources, whichever finished last.
  const fits = sets.filter((s) => setFits(s, sources));
  const fitting = fits.find((s) => !s.preview) ?? fits[0];
  if (fitting) return { set: fitting, stale: false };
  return { set: sets[0] ?? null, stale: sets.length > 0 };
}

/**
 * The separation's set a stem edit of these sources starts from: the newest separation (not an
 * edited set) made for their clicks, a whole-file one before a preview; null when none.
 */
export function editBase(sources: SourceFit[], stems: Stem[]): StemSet | null {
  const raw = stemSets(stems).filter((s) => s.base === null && clicksFit(s, sources));
  return raw.find((s) => !s.preview) ?? raw[0] ?? null;
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
