import { tx, type Library } from './db';
import { applyPatch, recordEdit, type MixerFields, type Patch } from './history';
import { getMixerChannel, getMixState, mixerFromRow, NotFoundError, type MixerRow } from './rows';
import { check } from './validate';
import { MAX_GAIN_DB, MIN_GAIN_DB, MONITORS } from '../../../shared/mixer';
import type { MixerChannel, MixerRole, MixState, Monitor } from './types';

export { MIN_GAIN_DB, MAX_GAIN_DB };

export function listMixerChannels(lib: Library, projectId: number): MixerChannel[] {
  return (
    lib.db
      .prepare(
        `SELECT c.* FROM mixer_channels c LEFT JOIN sources s ON s.id = c.source_id
         WHERE c.project_id = ? ORDER BY CASE c.role WHEN 'source' THEN 0 WHEN 'residual' THEN 1 ELSE 2 END, s.ord`,
      )
      .all(projectId) as MixerRow[]
  ).map(mixerFromRow);
}

/** The channel of a source, or of the residual / original track. */
export function findMixerChannel(lib: Library, projectId: number, target: { sourceId: number } | { role: Exclude<MixerRole, 'source'> }): MixerChannel {
  const row = (
    'sourceId' in target
      ? lib.db.prepare('SELECT * FROM mixer_channels WHERE project_id = ? AND source_id = ?').get(projectId, target.sourceId)
      : lib.db.prepare('SELECT * FROM mixer_channels WHERE project_id = ? AND role = ?').get(projectId, target.role)
  ) as MixerRow | undefined;
  if (!row) throw new NotFoundError('mixer channel', 'sourceId' in target ? `of source ${target.sourceId}` : target.role);
  return mixerFromRow(row);
}

function checkFields(set: MixerFields): void {
  if (set.gainDb !== undefined)
    check(Number.isFinite(set.gainDb) && set.gainDb >= MIN_GAIN_DB && set.gainDb <= MAX_GAIN_DB, `Gain must be between ${MIN_GAIN_DB} and ${MAX_GAIN_DB} dB`);
  if (set.pan !== undefined) check(Number.isFinite(set.pan) && set.pan >= -1 && set.pan <= 1, 'Pan must be between -1 (left) and 1 (right)');
  if (set.mute !== undefined) check(typeof set.mute === 'boolean', 'Mute must be true or false');
  if (set.solo !== undefined) check(typeof set.solo === 'boolean', 'Solo must be true or false');
}

/** A channel that may be edited: not one of a removed source (kept only for undo). */
function liveChannel(lib: Library, projectId: number, channelId: number): MixerChannel {
  const channel = getMixerChannel(lib, projectId, channelId);
  if (channel.sourceId !== null) {
    const deleted = lib.db.prepare('SELECT deleted_at FROM sources WHERE id = ?').pluck().get(channel.sourceId);
    if (deleted !== null) throw new NotFoundError('mixer channel', channelId);
  }
  return channel;
}

const CONTINUOUS: readonly (keyof MixerFields)[] = ['gainDb', 'pan'];

function diff(current: MixerChannel, set: MixerFields): { before: MixerFields; after: MixerFields } {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const key of Object.keys(set) as (keyof MixerFields)[]) {
    if (set[key] === undefined || set[key] === current[key]) continue;
    before[key] = current[key];
    after[key] = set[key];
  }
  return { before: before as MixerFields, after: after as MixerFields };
}

function describe(fields: MixerFields): string {
  if (fields.mute !== undefined) return fields.mute ? 'Mute' : 'Unmute';
  if (fields.solo !== undefined) return fields.solo ? 'Solo' : 'Unsolo';
  if (fields.pan !== undefined && fields.gainDb === undefined) return 'Pan';
  return 'Gain';
}

function channelName(lib: Library, channel: MixerChannel): string {
  if (channel.sourceId === null) return channel.role === 'residual' ? 'Residual' : 'Original';
  return (lib.db.prepare('SELECT name FROM sources WHERE id = ?').pluck().get(channel.sourceId) as string | undefined) ?? 'source';
}

/**
 * Change one channel (undoable). Continuous moves of the same control within COALESCE_MS merge
 * into one undo step, so a fader drag undoes in one go; mute/solo toggles are each a step.
 */
export function setMixer(lib: Library, projectId: number, channelId: number, set: MixerFields): MixerChannel {
  checkFields(set);
  return tx(lib, () => {
    const current = liveChannel(lib, projectId, channelId);
    const { before, after } = diff(current, set);
    const fields = Object.keys(after) as (keyof MixerFields)[];
    if (fields.length === 0) return current;
    applyPatch(lib, projectId, { t: 'mixer', id: channelId, set: after });
    const continuous = fields.every((f) => CONTINUOUS.includes(f));
    recordEdit(lib, projectId, {
      kind: 'mixer.set',
      label: `${describe(after)} ${channelName(lib, current)}`,
      forward: [{ t: 'mixer', id: channelId, set: after }],
      inverse: [{ t: 'mixer', id: channelId, set: before }],
      coalesceKey: continuous ? `mixer:${channelId}:${[...fields].sort().join(',')}` : undefined,
    });
    return getMixerChannel(lib, projectId, channelId);
  });
}

/**
 * Several channel changes as ONE undo step (e.g. "keep this speaker, duck everything else").
 * Returns the changed channels.
 */
export function setMixerBatch(
  lib: Library,
  projectId: number,
  label: string,
  edits: readonly { channelId: number; set: MixerFields }[],
): MixerChannel[] {
  edits.forEach((e) => checkFields(e.set));
  return tx(lib, () => {
    const forward: Patch[] = [];
    const inverse: Patch[] = [];
    for (const e of edits) {
      const { before, after } = diff(liveChannel(lib, projectId, e.channelId), e.set);
      if (Object.keys(after).length === 0) continue;
      applyPatch(lib, projectId, { t: 'mixer', id: e.channelId, set: after });
      forward.push({ t: 'mixer', id: e.channelId, set: after });
      inverse.push({ t: 'mixer', id: e.channelId, set: before });
    }
    if (forward.length === 0) return [];
    recordEdit(lib, projectId, { kind: 'mixer.batch', label, forward, inverse });
    return forward.map((p) => getMixerChannel(lib, projectId, (p as { id: number }).id));
  });
}

/**
 * The dialogue editor's action: the kept source at unity and unmuted, every other live source and
 * the residual at -duckDb, solos cleared. One undo step.
 */
export function duckAllBut(lib: Library, projectId: number, keepSourceId: number, duckDb: number): MixerChannel[] {
  check(Number.isFinite(duckDb) && duckDb >= 0 && duckDb <= -MIN_GAIN_DB, `Duck amount must be between 0 and ${-MIN_GAIN_DB} dB`);
  const channels = lib.db
    .prepare(
      `SELECT c.* FROM mixer_channels c LEFT JOIN sources s ON s.id = c.source_id
       WHERE c.project_id = ? AND c.role <> 'original' AND (c.source_id IS NULL OR s.deleted_at IS NULL)`,
    )
    .all(projectId) as MixerRow[];
  const keep = channels.find((c) => c.source_id === keepSourceId);
  if (!keep) throw new NotFoundError('source', keepSourceId);
  const name = lib.db.prepare('SELECT name FROM sources WHERE id = ?').pluck().get(keepSourceId) as string;
  return setMixerBatch(
    lib,
    projectId,
    `Keep ${name}, duck the rest`,
    channels.map((c) => ({
      channelId: c.id,
      set: c.id === keep.id ? { gainDb: 0, mute: false, solo: false } : { gainDb: -duckDb, solo: false },
    })),
  );
}

/** Master gain (undoable, coalesced like a fader). */
export function setMasterGain(lib: Library, projectId: number, gainDb: number): MixState {
  check(Number.isFinite(gainDb) && gainDb >= MIN_GAIN_DB && gainDb <= MAX_GAIN_DB, `Gain must be between ${MIN_GAIN_DB} and ${MAX_GAIN_DB} dB`);
  return tx(lib, () => {
    const current = getMixState(lib, projectId);
    if (current.masterGainDb === gainDb) return current;
    applyPatch(lib, projectId, { t: 'master', set: { masterGainDb: gainDb } });
    recordEdit(lib, projectId, {
      kind: 'master.gain',
      label: 'Master gain',
      forward: [{ t: 'master', set: { masterGainDb: gainDb } }],
      inverse: [{ t: 'master', set: { masterGainDb: current.masterGainDb } }],
      coalesceKey: 'master:gain',
    });
    return getMixState(lib, projectId);
  });
}

/** A/B monitoring is a listening switch, not an edit: saved, but not in the undo history. */
export function setMonitor(lib: Library, projectId: number, monitor: Monitor): MixState {
  check(MONITORS.includes(monitor), 'Monitor must be "mix" or "original"');
  const { changes } = lib.db.prepare('UPDATE mix_state SET monitor = ? WHERE project_id = ?').run(monitor, projectId);
  if (changes !== 1) throw new NotFoundError('project', projectId);
  return getMixState(lib, projectId);
}
