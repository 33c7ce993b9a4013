import { faceTrackAt, motionLevels, movingOver, speakingOver, trackAt } from '../detect/activity';
import type { DetectionFrame } from '../detect/speaking';
import type { Click } from './features';
import type { SourceQuery } from './query';

/**
 * What each source of real footage does over time, from the object under its click: a speaker's
 * face speaks (its mouth moves with the speech), a player moves (their hands and body, measured
 * inside their box). The track rows show it, and sources asked for alike are shared out by it
 * (activity-share.ts).
 */

/** A source's activity (0..1) at the given media times. */
export type ActivityOver = (times: number[]) => number[];

/** A person sighting stands for about a second; a click may land between two. */
const PERSON_SEARCH_SEC = 1.5;

/**
 * Per source, its activity over time, or null when it has no click on real footage that lands on
 * a face (speakers) or a person (the other classes). Null when no source has one.
 */
export function sourcesActivity(frames: DetectionFrame[], queries: readonly SourceQuery[], points: readonly (Click | null)[]): { of: (ActivityOver | null)[] } | null {
  const objects = queries.map((q, i) => {
    const p = points[i];
    // Only sources asked for by class on real footage (realFootageQueries) follow an object.
    if (!p || q.usePicture !== false || q.className == null) return null;
    if (q.className === 'speaker') {
      const track = faceTrackAt(frames, p.x, p.y, p.timeSec);
      return track === null ? null : { kind: 'face' as const, track };
    }
    const track = trackAt(frames, 'person', p.x, p.y, p.timeSec, PERSON_SEARCH_SEC);
    return track === null ? null : { kind: 'person' as const, track };
  });
  if (objects.every((o) => o === null)) return null;
  const people = objects.flatMap((o) => (o?.kind === 'person' ? [o.track] : []));
  const levels = motionLevels(frames, people);
  return {
    of: objects.map((o): ActivityOver | null => {
      if (!o) return null;
      if (o.kind === 'face') return (times) => speakingOver(frames, o.track, times);
      return levels ? (times) => movingOver(frames, o.track, times, levels.rest, levels.full) : null;
    }),
  };
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
