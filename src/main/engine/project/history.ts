import { tx, type Library } from './db';
import type { SourceClass } from '../../../shared/classes';
import type { HistoryState, MixerChannel, MixState, Source } from './types';
import { getSourceRow, sourceFromRow, type SourceRow } from './rows';
import { getMixerChannel, getMixState } from './rows';

/**
 * Undo history. Every undoable edit is stored as a list of field patches (forward) and the patches
 * that restore the previous values (inverse). Patches name fields, not SQL; applyPatch maps them to
 * whitelisted columns.
 */
export type SourceFields = {
  name?: string;
  colour?: string;
  timeSec?: number | null;
  x?: number | null;
  y?: number | null;
  className?: SourceClass | null;
  /** deleted_at: null = live. */
  deletedAt?: number | null;
  strength?: number;
  /** The moved ranges as JSON text (a whole list per patch). */
  moves?: string;
};
export type MixerFields = { gainDb?: number; pan?: number; mute?: boolean; solo?: boolean };
export type MasterFields = { masterGainDb?: number };

export type Patch =
  | { t: 'source'; id: number; set: SourceFields }
  | { t: 'mixer'; id: number; set: MixerFields }
  | { t: 'master'; set: MasterFields };

export interface Edit {
  kind: string;
  label: string;
  forward: Patch[];
  inverse: Patch[];
  /** Edits with the same key within COALESCE_MS of the previous one merge into one undo step. */
  coalesceKey?: string;
}

export interface HistoryChange {
  kind: string;
  label: string;
  /** Current state of every source the step touched (deleted: true when the step removed it). */
  sources: Source[];
  mixer: MixerChannel[];
  master: MixState | null;
  history: HistoryState;
}

export const COALESCE_MS = 500;
/** Oldest entries beyond this are dropped; a project's undo depth. */
export const MAX_HISTORY = 500;

const SOURCE_COLUMNS: Record<keyof SourceFields, string> = {
  name: 'name',
  colour: 'colour',
  timeSec: 'time_sec',
  x: 'x',
  y: 'y',
  className: 'class_name',
  deletedAt: 'deleted_at',
  strength: 'strength',
  moves: 'moves_json',
};
const MIXER_COLUMNS: Record<keyof MixerFields, string> = { gainDb: 'gain_db', pan: 'pan', mute: 'mute', solo: 'solo' };
const MASTER_COLUMNS: Record<keyof MasterFields, string> = { masterGainDb: 'master_gain_db' };

function sqlValue(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

function assignments(set: object, columns: Record<string, string>): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(set)) {
    const column = columns[field];
    if (!column) throw new Error(`history: unknown field ${field}`);
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    values.push(sqlValue(value));
  }
  if (parts.length === 0) throw new Error('history: empty patch');
  return { sql: parts.join(', '), values };
}

/** Apply one patch inside the caller's transaction; the row must exist in that project. */
export function applyPatch(lib: Library, projectId: number, patch: Patch): void {
  let result;
  if (patch.t === 'source') {
    const a = assignments(patch.set, SOURCE_COLUMNS);
    result = lib.db.prepare(`UPDATE sources SET ${a.sql} WHERE id = ? AND project_id = ?`).run(...a.values, patch.id, projectId);
  } else if (patch.t === 'mixer') {
    const a = assignments(patch.set, MIXER_COLUMNS);
    result = lib.db.prepare(`UPDATE mixer_channels SET ${a.sql} WHERE id = ? AND project_id = ?`).run(...a.values, patch.id, projectId);
  } else {
    const a = assignments(patch.set, MASTER_COLUMNS);
    result = lib.db.prepare(`UPDATE mix_state SET ${a.sql} WHERE project_id = ?`).run(...a.values, projectId);
  }
  if (result.changes !== 1) throw new Error(`history: ${patch.t} patch matched ${result.changes} rows in project ${projectId}`);
}

interface HistoryRow {
  seq: number;
  kind: string;
  label: string;
  forward_json: string;
  inverse_json: string;
  coalesce_key: string | null;
  applied: number;
  updated_at: number;
}

function touchProject(lib: Library, projectId: number): void {
  lib.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(lib.now(), projectId);
}

/**
 * Record an edit whose forward patches the caller has ALREADY applied (inside the same
 * transaction). Drops the redo tail, coalesces with the previous step when allowed, and trims
 * the history to MAX_HISTORY. Sources removed by dropped steps stay soft-deleted until
 * purgeUnreachableSources runs (the app calls it when a project is opened or closed).
 */
export function recordEdit(lib: Library, projectId: number, edit: Edit): void {
  const db = lib.db;
  const now = lib.now();
  const dropped = db.prepare('DELETE FROM history WHERE project_id = ? AND applied = 0').run(projectId).changes;
  const last = db
    .prepare('SELECT seq, coalesce_key, updated_at, forward_json FROM history WHERE project_id = ? ORDER BY seq DESC LIMIT 1')
    .get(projectId) as Pick<HistoryRow, 'seq' | 'coalesce_key' | 'updated_at' | 'forward_json'> | undefined;
  touchProject(lib, projectId);
  if (
    dropped === 0 &&
    last &&
    edit.coalesceKey &&
    last.coalesce_key === edit.coalesceKey &&
    now - last.updated_at >= 0 &&
    now - last.updated_at <= COALESCE_MS
  ) {
    // Same control dragged again: keep the first inverse, take the newest forward.
    db.prepare('UPDATE history SET forward_json = ?, updated_at = ? WHERE project_id = ? AND seq = ?').run(
      JSON.stringify(edit.forward),
      now,
      projectId,
      last.seq,
    );
    return;
  }
  const seq = (last?.seq ?? 0) + 1;
  db.prepare(
    `INSERT INTO history (project_id, seq, kind, label, forward_json, inverse_json, coalesce_key, applied, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
  ).run(projectId, seq, edit.kind, edit.label, JSON.stringify(edit.forward), JSON.stringify(edit.inverse), edit.coalesceKey ?? null, now, now);
  db.prepare('DELETE FROM history WHERE project_id = ? AND seq <= ?').run(projectId, seq - MAX_HISTORY);
}

function patchedIds(json: string, t: 'source' | 'mixer'): number[] {
  return (JSON.parse(json) as Patch[]).flatMap((p) => (p.t === t ? [p.id] : []));
}

/**
 * Hard-delete removed sources that no history entry can bring back (their stems and mixer
 * channel go with them by cascade). Returns the stem file paths the caller may delete.
 */
export function purgeUnreachableSources(lib: Library, projectId: number): string[] {
  return tx(lib, () => purgeInTx(lib, projectId));
}

function purgeInTx(lib: Library, projectId: number): string[] {
  const db = lib.db;
  const removed = db.prepare('SELECT id FROM sources WHERE project_id = ? AND deleted_at IS NOT NULL').pluck().all(projectId) as number[];
  if (removed.length === 0) return [];
  const reachable = new Set<number>();
  for (const row of db.prepare('SELECT forward_json, inverse_json FROM history WHERE project_id = ?').all(projectId) as HistoryRow[]) {
    for (const id of patchedIds(row.forward_json, 'source')) reachable.add(id);
    for (const id of patchedIds(row.inverse_json, 'source')) reachable.add(id);
  }
  const doomed = removed.filter((id) => !reachable.has(id));
  const paths: string[] = [];
  for (const id of doomed) {
    paths.push(...(db.prepare('SELECT path FROM stems WHERE source_id = ?').pluck().all(id) as string[]));
    db.prepare('DELETE FROM sources WHERE id = ? AND project_id = ?').run(id, projectId);
  }
  return paths;
}

export function historyState(lib: Library, projectId: number): HistoryState {
  const undo = lib.db
    .prepare('SELECT label FROM history WHERE project_id = ? AND applied = 1 ORDER BY seq DESC LIMIT 1')
    .pluck()
    .get(projectId) as string | undefined;
  const redo = lib.db
    .prepare('SELECT label FROM history WHERE project_id = ? AND applied = 0 ORDER BY seq ASC LIMIT 1')
    .pluck()
    .get(projectId) as string | undefined;
  return { canUndo: undo !== undefined, canRedo: redo !== undefined, undoLabel: undo ?? null, redoLabel: redo ?? null };
}

function describe(lib: Library, projectId: number, row: HistoryRow, patches: Patch[]): HistoryChange {
  const sourceIds = [...new Set(patches.flatMap((p) => (p.t === 'source' ? [p.id] : [])))];
  const mixerIds = [...new Set(patches.flatMap((p) => (p.t === 'mixer' ? [p.id] : [])))];
  return {
    kind: row.kind,
    label: row.label,
    sources: sourceIds.map((id) => sourceFromRow(getSourceRow(lib, projectId, id) as SourceRow)),
    mixer: mixerIds.map((id) => getMixerChannel(lib, projectId, id)),
    master: patches.some((p) => p.t === 'master') ? getMixState(lib, projectId) : null,
    history: historyState(lib, projectId),
  };
}

/** Undo the newest applied step; null when there is nothing to undo. */
export function undo(lib: Library, projectId: number): HistoryChange | null {
  return tx(lib, () => {
    const row = lib.db
      .prepare('SELECT * FROM history WHERE project_id = ? AND applied = 1 ORDER BY seq DESC LIMIT 1')
      .get(projectId) as HistoryRow | undefined;
    if (!row) return null;
    const inverse = JSON.parse(row.inverse_json) as Patch[];
    // Inverse patches run in reverse order, so multi-patch steps unwind like a stack.
    for (const p of [...inverse].reverse()) applyPatch(lib, projectId, p);
    lib.db.prepare('UPDATE history SET applied = 0 WHERE project_id = ? AND seq = ?').run(projectId, row.seq);
    touchProject(lib, projectId);
    return describe(lib, projectId, row, inverse);
  });
}

/** Redo the oldest undone step; null when there is nothing to redo. */
export function redo(lib: Library, projectId: number): HistoryChange | null {
  return tx(lib, () => {
    const row = lib.db
      .prepare('SELECT * FROM history WHERE project_id = ? AND applied = 0 ORDER BY seq ASC LIMIT 1')
      .get(projectId) as HistoryRow | undefined;
    if (!row) return null;
    const forward = JSON.parse(row.forward_json) as Patch[];
    for (const p of forward) applyPatch(lib, projectId, p);
    lib.db.prepare('UPDATE history SET applied = 1 WHERE project_id = ? AND seq = ?').run(projectId, row.seq);
    touchProject(lib, projectId);
    return describe(lib, projectId, row, forward);
  });
}
