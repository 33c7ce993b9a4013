import { tx, type Library } from './db';
import { applyPatch, recordEdit, type SourceFields } from './history';
import { NotFoundError, getSourceRow, sourceFromRow, type SourceRow } from './rows';
import { check, checkName, checkUnit } from './validate';
import type { Source, StemMove } from './types';
import { MAX_SOURCES } from '../../../shared/mixer';
import { sourceClassOf, unknownClassMessage, type SourceClass } from '../../../shared/classes';
import { MAX_MOVES, MAX_STRENGTH, MIN_MOVE_SEC, MIN_STRENGTH } from '../../../shared/stem-edit';

/** Distinct on a dark background and for the common colour-vision deficiencies (Okabe-Ito based). */
export const SOURCE_PALETTE = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#9ad0a8'] as const;

const COLOUR = /^#[0-9a-f]{6}$/;

export function getSource(lib: Library, projectId: number, id: number): Source {
  const row = getSourceRow(lib, projectId, id);
  if (!row) throw new NotFoundError('source', id);
  return sourceFromRow(row);
}

/** Live sources in creation order; includeDeleted also returns those kept only for undo. */
export function listSources(lib: Library, projectId: number, options: { includeDeleted?: boolean } = {}): Source[] {
  const sql = options.includeDeleted
    ? 'SELECT * FROM sources WHERE project_id = ? ORDER BY ord'
    : 'SELECT * FROM sources WHERE project_id = ? AND deleted_at IS NULL ORDER BY ord';
  return (lib.db.prepare(sql).all(projectId) as SourceRow[]).map(sourceFromRow);
}

/** A source is asked for by a click point, a class name, or both. */
export interface AddSourceInput {
  projectId: number;
  mediaId: number;
  /** The click: all three or none. x, y: 0..1 in the original frame. */
  timeSec?: number;
  x?: number;
  y?: number;
  /** A class name or a word for one (shared/classes.ts); stored as the class's own name. */
  className?: string | null;
  name?: string;
  colour?: string;
}

function checkPoint(p: { x: number; y: number; timeSec: number }): void {
  check(Number.isFinite(p.timeSec) && p.timeSec >= 0, 'Source time must be zero or more seconds');
  checkUnit(p.x, 'Source x');
  checkUnit(p.y, 'Source y');
}

/** The class a name stands for; a name that is none is refused with the list of names. */
export function checkClassName(name: string): SourceClass {
  const c = sourceClassOf(name);
  check(c !== null, unknownClassMessage(name));
  return c;
}

/** Add a source (undoable) with its mixer channel at unity gain. */
export function addSource(lib: Library, input: AddSourceInput): Source {
  const given = [input.x, input.y, input.timeSec].filter((v) => v !== undefined).length;
  check(given === 0 || given === 3, 'A source point needs x, y and its time together');
  const point = given === 3 ? { x: input.x as number, y: input.y as number, timeSec: input.timeSec as number } : null;
  if (point) checkPoint(point);
  const className = input.className == null ? null : checkClassName(input.className);
  check(point !== null || className !== null, 'A source needs a point in the picture, a class name, or both');
  if (input.colour !== undefined) check(COLOUR.test(input.colour), 'Colour must look like #rrggbb (lower case)');
  return tx(lib, () => {
    // Refused here, at the click, rather than by the separation job it would start.
    const live = lib.db.prepare('SELECT count(*) FROM sources WHERE project_id = ? AND deleted_at IS NULL').pluck().get(input.projectId) as number;
    check(live < MAX_SOURCES, `A project separates at most ${MAX_SOURCES} sources; remove one before adding another.`);
    const now = lib.now();
    const ord =
      ((lib.db.prepare('SELECT max(ord) FROM sources WHERE project_id = ?').pluck().get(input.projectId) as number | null) ?? 0) + 1;
    const name = input.name !== undefined ? checkName(input.name, 'Source name') : point === null && className ? capitalised(className) : `Source ${ord}`;
    const colour = input.colour ?? SOURCE_PALETTE[(ord - 1) % SOURCE_PALETTE.length];
    const id = Number(
      lib.db
        .prepare(
          `INSERT INTO sources (project_id, media_id, ord, name, colour, time_sec, x, y, class_name, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(input.projectId, input.mediaId, ord, name, colour, point?.timeSec ?? null, point?.x ?? null, point?.y ?? null, className, now).lastInsertRowid,
    );
    lib.db.prepare("INSERT INTO mixer_channels (project_id, role, source_id) VALUES (?, 'source', ?)").run(input.projectId, id);
    recordEdit(lib, input.projectId, {
      kind: 'source.add',
      label: `Add ${name}`,
      forward: [{ t: 'source', id, set: { deletedAt: null } }],
      inverse: [{ t: 'source', id, set: { deletedAt: now } }],
    });
    return getSource(lib, input.projectId, id);
  });
}

function editSource(
  lib: Library,
  projectId: number,
  id: number,
  kind: string,
  label: (s: Source) => string,
  set: SourceFields,
  coalesceKey?: string,
): Source {
  return tx(lib, () => {
    const row = getSourceRow(lib, projectId, id);
    if (!row || row.deleted_at !== null) throw new NotFoundError('source', id);
    const before: SourceFields = {};
    const after: SourceFields = {};
    const current: Required<SourceFields> = {
      name: row.name,
      colour: row.colour,
      timeSec: row.time_sec,
      x: row.x,
      y: row.y,
      className: sourceFromRow(row).className,
      deletedAt: row.deleted_at,
      strength: row.strength,
      moves: row.moves_json,
    };
    for (const key of Object.keys(set) as (keyof SourceFields)[]) {
      if (set[key] === current[key]) continue;
      (before as Record<string, unknown>)[key] = current[key];
      (after as Record<string, unknown>)[key] = set[key];
    }
    if (Object.keys(after).length === 0) return sourceFromRow(row);
    const forward = [{ t: 'source' as const, id, set: after }];
    applyPatch(lib, projectId, forward[0]);
    recordEdit(lib, projectId, { kind, label: label(sourceFromRow(row)), forward, inverse: [{ t: 'source', id, set: before }], coalesceKey });
    return getSource(lib, projectId, id);
  });
}

export function renameSource(lib: Library, projectId: number, id: number, name: string): Source {
  const clean = checkName(name, 'Source name');
  return editSource(lib, projectId, id, 'source.rename', (s) => `Rename ${s.name}`, { name: clean });
}

/**
 * Move the click point (a drag of the marker, or a click at another time). A drag is one undo
 * step. A source asked for by name alone needs the time with its first point.
 */
export function moveSource(lib: Library, projectId: number, id: number, to: { x: number; y: number; timeSec?: number }): Source {
  checkUnit(to.x, 'Source x');
  checkUnit(to.y, 'Source y');
  const set: SourceFields = { x: to.x, y: to.y };
  if (to.timeSec !== undefined) {
    check(Number.isFinite(to.timeSec) && to.timeSec >= 0, 'Source time must be zero or more seconds');
    set.timeSec = to.timeSec;
  } else {
    check(getSourceRow(lib, projectId, id)?.time_sec !== null, 'A source without a point needs the time of the frame its new point is on');
  }
  return editSource(lib, projectId, id, 'source.move', (s) => `Move ${s.name}`, set, `source:${id}:move`);
}

/** Say what the source is (a class name or a word for one), or null to forget it; one undo step. */
export function setSourceClass(lib: Library, projectId: number, id: number, className: string | null): Source {
  const c = className === null ? null : checkClassName(className);
  if (c === null) {
    const row = getSourceRow(lib, projectId, id);
    check(!row || row.x !== null, 'This source is asked for by its class alone; remove it instead, or give it a point in the picture first');
  }
  return editSource(lib, projectId, id, 'source.class', (s) => (c === null ? `Clear the class of ${s.name}` : `Set ${s.name} to ${c}`), { className: c });
}

export function recolourSource(lib: Library, projectId: number, id: number, colour: string): Source {
  check(COLOUR.test(colour), 'Colour must look like #rrggbb (lower case)');
  return editSource(lib, projectId, id, 'source.recolour', (s) => `Recolour ${s.name}`, { colour });
}

/** Remove a source (undoable: the row, its stems and mixer channel are kept until unreachable). */
export function removeSource(lib: Library, projectId: number, id: number): Source {
  return editSource(lib, projectId, id, 'source.remove', (s) => `Remove ${s.name}`, { deletedAt: lib.now() });
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** How much of the rest of the mix the source's stem keeps out (see shared/stem-edit.ts). A drag is one undo step. */
export function setSourceStrength(lib: Library, projectId: number, id: number, strength: number): Source {
  check(Number.isFinite(strength) && strength >= MIN_STRENGTH && strength <= MAX_STRENGTH, `Strength must be between ${MIN_STRENGTH} and ${MAX_STRENGTH} (got ${strength})`);
  return editSource(lib, projectId, id, 'source.strength', (s) => `Strength of ${s.name}`, { strength }, `source:${id}:strength`);
}

/**
 * Move a time range of the source's stem to another live source of the project (to: its id) or to
 * the residual (null). The range is added to the source's list of moves, applied after the
 * separation in order, so it survives reopening and every later separation.
 */
export function moveStemRange(lib: Library, projectId: number, id: number, move: Omit<StemMove, 'seq'>): Source {
  check(Number.isFinite(move.startSec) && Number.isFinite(move.endSec) && move.startSec >= 0, 'A moved range needs a start and an end in seconds, start zero or more');
  check(move.endSec - move.startSec >= MIN_MOVE_SEC, `Select at least ${MIN_MOVE_SEC * 1000} ms to move`);
  return tx(lib, () => {
    const row = getSourceRow(lib, projectId, id);
    if (!row || row.deleted_at !== null) throw new NotFoundError('source', id);
    let toName = 'the residual';
    if (move.to !== null) {
      check(move.to !== id, 'Choose another source (or the residual) to move the range to');
      const target = getSourceRow(lib, projectId, move.to);
      if (!target || target.deleted_at !== null) throw new NotFoundError('source', move.to);
      toName = target.name;
    }
    const moves = JSON.parse(row.moves_json) as StemMove[];
    check(moves.length < MAX_MOVES, `A source keeps at most ${MAX_MOVES} moved ranges; undo some first`);
    const seq =
      1 +
      Math.max(0, ...(lib.db.prepare('SELECT moves_json FROM sources WHERE project_id = ?').pluck().all(projectId) as string[]).flatMap((j) => (JSON.parse(j) as StemMove[]).map((m) => m.seq)));
    const next = JSON.stringify([...moves, { startSec: move.startSec, endSec: move.endSec, to: move.to, seq }]);
    return editSource(lib, projectId, id, 'source.move-range', (s) => `Move part of ${s.name} to ${toName}`, { moves: next });
  });
}
