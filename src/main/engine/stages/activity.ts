import type { FollowedActivity } from './types';

/**
 * The followed activity at `sec` seconds into the media: linear between the tracker's frames (frame
 * n stands for fromSec + (n + 0.5) / fps), its first and last values held beyond them; 0 when it
 * has no frames.
 */
export function activityAt(followed: FollowedActivity, sec: number): number {
  const a = followed.values;
  if (a.length === 0) return 0;
  const u = (sec - followed.fromSec) * followed.fps - 0.5;
  const j = Math.floor(u);
  if (j < 0) return a[0];
  if (j >= a.length - 1) return a[a.length - 1];
  return a[j] + (u - j) * (a[j + 1] - a[j]);
}
