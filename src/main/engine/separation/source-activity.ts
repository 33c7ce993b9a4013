import { faceTrackAt, speakingOver } from '../detect/activity';
import { quantile, type DetectionFrame } from '../detect/speaking';
import type { MediaInfo } from '../media/probe';
import type { Click } from './features';
import { motionNear } from './movement';
import type { SourceQuery } from './query';

/**
 * What each source of real footage does over time, from where it was clicked: a speaker's face
 * speaks (its mouth moves with the speech, detect/speaking.ts), a player moves (their hands and
 * body near the click, separation/movement.ts). The track rows show it, and sources asked for
 * alike are shared out by it (activity-share.ts).
 */

/** A source's activity (0..1) at the given media times. */
export type ActivityOver = (times: number[]) => number[];

/**
 * Per source, its activity over time, or null when it has no click on real footage (asked for
 * by class: realFootageQueries) or, for a speaker, its click is on no face. Null when no source
 * has one. Players' movement is measured over `span` of the media (seconds).
 */
export async function sourcesActivity(
  media: { file: string; info: MediaInfo; trackingCopy?: string | null },
  frames: DetectionFrame[],
  queries: readonly SourceQuery[],
  points: readonly (Click | null)[],
  span: { startSec: number; durationSec: number },
  signal?: AbortSignal,
): Promise<{ of: (ActivityOver | null)[] } | null> {
  const of: (ActivityOver | null)[] = queries.map(() => null);
  const players: { k: number; point: Click }[] = [];
  queries.forEach((q, k) => {
    const p = points[k];
    if (!p || q.usePicture !== false || q.className == null) return;
    if (q.className !== 'speaker') {
      players.push({ k, point: p });
      return;
    }
    const track = faceTrackAt(frames, p.x, p.y, p.timeSec);
    if (track !== null) of[k] = (times) => speakingOver(frames, track, times);
  });
  if (players.length > 0 && media.info.video) {
    // Only the span separated is looked at (a preview's is short).
    const { fps, motion } = await motionNear(media.file, media.info, players.map((s) => s.point), { ...span, signal, copy: media.trackingCopy });
    // One scale for all of them: from the least of their quiet levels (the picture's own
    // flicker) to the most of their busy ones, so who moves more counts, not who moves more than usual.
    const rest = Math.min(...motion.map((m) => quantile(Array.from(m), 0.1)));
    const full = Math.max(...motion.map((m) => quantile(Array.from(m), 0.95)));
    if (full > rest) {
      players.forEach((s, i) => {
        const m = motion[i];
        of[s.k] = (times) =>
          times.map((t) => {
            const j = Math.min(m.length - 1, Math.max(0, Math.round((t - span.startSec) * fps - 0.5)));
            return Math.min(1, Math.max(0, (m[j] - rest) / (full - rest)));
          });
      });
    }
  }
  return of.some((f) => f !== null) ? { of } : null;
}

/**
 * Sources whose queries are the same (0-based indices): asked for by the same class alone on real
 * footage, so the separation gives them the same mask. Only groups of two or more.
 */
export function sameQueryGroups(queries: readonly SourceQuery[]): number[][] {
  const byClass = new Map<string, number[]>();
  queries.forEach((q, i) => {
    if (q.usePicture !== false || q.className == null) return;
    byClass.set(q.className, [...(byClass.get(q.className) ?? []), i]);
  });
  return [...byClass.values()].filter((g) => g.length > 1);
}
