/**
 * What an export can write, one entry per target. The export dialog lists these, the contract and
 * the project library keep one on/off setting per target (`include<Id>`, column `include_<id>`),
 * and main's export job writes each chosen one with the writer registered under the same id in
 * src/main/engine/export/targets.ts. Adding a target: an entry here, a writer there, and a
 * migration adding its column.
 */

export const EXPORT_TARGETS = [
  { id: 'stems', label: 'Stems', detail: 'one WAV per track, equal length from 0 s', needsVideo: false },
  { id: 'original', label: 'Original', detail: 'the unprocessed audio, like the stems', needsVideo: false },
  { id: 'mix', label: 'Mix', detail: "the mixer's settings, stereo WAV", needsVideo: false },
  { id: 'daw', label: 'REAPER project', detail: '.rpp with the stems aligned', needsVideo: false },
  { id: 'video', label: 'Video copy', detail: 'the picture with the remixed sound', needsVideo: true },
] as const;

export type ExportTarget = (typeof EXPORT_TARGETS)[number];
export type ExportTargetId = ExportTarget['id'];

/** The setting that turns a target on, e.g. includeStems. */
export type IncludeKey<Id extends string = ExportTargetId> = `include${Capitalize<Id>}`;
export type ExportTargetSettings = { [Id in ExportTargetId as IncludeKey<Id>]: boolean };

export function includeKey<Id extends ExportTargetId>(id: Id): IncludeKey<Id> {
  return `include${id[0].toUpperCase()}${id.slice(1)}` as IncludeKey<Id>;
}

/** The targets a settings record turns on, in the order of EXPORT_TARGETS. */
export function chosenTargets(settings: ExportTargetSettings): ExportTargetId[] {
  return EXPORT_TARGETS.filter((t) => settings[includeKey(t.id)]).map((t) => t.id);
}
