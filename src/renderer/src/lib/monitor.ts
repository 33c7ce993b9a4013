/**
 * Which tracks the transport plays, and how loud: B plays the original alone; A plays the stems
 * through the mixer with the same rules the export renders with (src/shared/mixer.ts), so what
 * you hear is what you export.
 */
import { audible, dbToGain, type Monitor } from '../../../shared/mixer';
import type { TrackView } from './editor.svelte';

const mixed = (tracks: readonly TrackView[]) => tracks.filter((x) => x.role !== 'original' && x.channel).map((x) => x.channel!);

export function heard(t: TrackView, tracks: readonly TrackView[], monitor: Monitor, hasStems: boolean): boolean {
  // The Original plays on B (or alone before any stem); its M and gain then work as on any track.
  if (t.role === 'original') return (monitor === 'original' || !hasStems) && !t.channel?.mute;
  if (monitor === 'original' || !t.stem || !t.channel) return false;
  return audible(t.channel, mixed(tracks));
}

/** Linear gain of a track in the player: its channel's level when heard, else 0. */
export function trackGain(t: TrackView, tracks: readonly TrackView[], monitor: Monitor, hasStems: boolean): number {
  if (!heard(t, tracks, monitor, hasStems)) return 0;
  return t.channel ? dbToGain(t.channel.gainDb) : 1;
}
