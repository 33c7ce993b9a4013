/**
 * What the user sees of the background jobs: one job per user action. A separation's preview of
 * the visible range and its whole-file run are two jobs in main that share an action; here they
 * become one entry whose progress counts each part by its weight (seconds of media), so it never
 * drops between them, and whose time left includes the parts still waiting (partSec).
 */
import type { EventPayload } from '../../../shared/contract';

export type JobProgress = EventPayload<'job.progress'>;

export interface UserJob extends Omit<JobProgress, 'action'> {
  /** How many jobs in main this entry stands for. */
  parts: number;
}

/** A job kind as the user reads it. */
const KIND_NAMES: Record<string, string> = { analysis: 'Analysis', separation: 'Separation', 'stem-edit': 'Stem edit', export: 'Export' };
export const jobName = (kind: string): string => KIND_NAMES[kind] ?? kind;

export const finished = (j: JobProgress): boolean => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled';

/**
 * How long a waiting part of `weight` will take, judged by the running part: the same start (a
 * worker, the model: as long whatever the length, and often most of a short preview's time), then
 * its work at the running part's rate. The running part's time left is measured from its work
 * alone (the job runner's estimate), so its rate is time left / work left, and the rest of its
 * elapsed time was its start.
 */
function partSec(running: JobProgress, runningWeight: number, weight: number): number {
  const left = 1 - running.fraction;
  if (left <= 1e-6 || running.etaSec === null) return (weight * running.elapsedSec) / runningWeight;
  const secPerFraction = running.etaSec / left;
  const startSec = Math.max(0, running.elapsedSec - running.fraction * secPerFraction);
  return startSec + (weight * secPerFraction) / runningWeight;
}

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
  let etaSec: number | null = null;
  if (running && running.etaSec !== null) {
    const waiting = parts.filter((j) => j.state === 'queued');
    etaSec = running.etaSec + waiting.reduce((s, j) => s + partSec(running, weight(running), weight(j)), 0);
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
