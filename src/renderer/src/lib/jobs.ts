/**
 * What the user sees of the background jobs: one job per user action. A separation's preview of
 * the visible range and its whole-file run are two jobs in main that share an action; here they
 * become one entry whose progress counts each part by its weight (seconds of media), so it never
 * drops between them, and whose time left includes the parts still waiting.
 */
import type { EventPayload } from '../../../shared/contract';

export type JobProgress = EventPayload<'job.progress'>;

export interface UserJob extends Omit<JobProgress, 'action'> {
  /** How many jobs in main this entry stands for. */
  parts: number;
}

export const finished = (j: JobProgress): boolean => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled';

function combine(parts: JobProgress[]): UserJob {
  const first = parts[0];
  if (parts.length === 1) {
    const { action: _action, ...rest } = first;
    return { ...rest, parts: 1 };
  }
  const weight = (j: JobProgress) => j.action?.weight ?? 1;
  const total = parts.reduce((s, j) => s + weight(j), 0) || 1;
  const fraction = parts.reduce((s, j) => s + weight(j) * (j.state === 'done' ? 1 : j.fraction), 0) / total;
  const running = parts.find((j) => j.state === 'running');
  const state: JobProgress['state'] = parts.some((j) => j.state === 'failed')
    ? 'failed'
    : running || (parts.some((j) => j.state === 'queued') && parts.some((j) => j.state === 'done'))
      ? 'running'
      : parts.some((j) => j.state === 'queued')
        ? 'queued'
        : parts.some((j) => j.state === 'cancelled')
          ? 'cancelled'
          : 'done';
  // Time left: the running part's own estimate, plus the waiting parts at the rate it runs at.
  let etaSec: number | null = null;
  if (running && running.etaSec !== null) {
    const secPerWeight = (running.elapsedSec + running.etaSec) / weight(running);
    const waiting = parts.filter((j) => j.state === 'queued').reduce((s, j) => s + weight(j), 0);
    etaSec = running.etaSec + waiting * secPerWeight;
  }
  return {
    jobId: first.jobId,
    projectId: first.projectId,
    kind: first.kind,
    state,
    stage: running?.stage ?? parts.find((j) => !finished(j))?.stage ?? first.stage,
    fraction: Math.min(1, fraction),
    etaSec,
    elapsedSec: parts.reduce((s, j) => s + j.elapsedSec, 0),
    error: parts.find((j) => j.error)?.error ?? null,
    parts: parts.length,
  };
}

/** The jobs as the user sees them, in the order they were first seen. */
export function userJobs(jobs: JobProgress[]): UserJob[] {
  const groups = new Map<string, JobProgress[]>();
  for (const j of jobs) {
    const key = j.action?.id ?? j.jobId;
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  return [...groups.values()].map(combine);
}
