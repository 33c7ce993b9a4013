/**
 * Which tracks the transport plays, and how loud: B plays the original alone; A plays the stems
 * through the mixer with the same rules the export renders with (src/shared/mixer.ts), so what
 * you hear is what you export.
 */
import { audible, dbToGain, type Monitor } from '../../../shared/mixer';
import type { TrackView } from './editor.svelte';
import type { MixTrack } from './player';

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

/**
 * What the player plays: every track with audio at its gain and pan, and the residual's parts
 * (stems of removed sources, until the separation of the remaining ones) at the residual's.
 */
export function playerTracks(tracks: readonly TrackView[], originalKey: string | null, monitor: Monitor, hasStems: boolean): MixTrack[] {
  const mix: MixTrack[] = [];
  for (const t of tracks) {
    const key = t.role === 'original' ? originalKey : (t.stem?.audioKey ?? null);
    if (!key) continue;
    const gain = trackGain(t, tracks, monitor, hasStems);
    const pan = t.role === 'original' ? 0 : (t.channel?.pan ?? 0);
    mix.push({ key: t.key, audioKey: key, offsetSec: t.stem?.startSec ?? 0, gain, pan });
    for (const part of t.parts ?? []) mix.push({ key: `${t.key}+${part.id}`, audioKey: part.audioKey, offsetSec: part.startSec, gain, pan });
  }
  return mix;
}
