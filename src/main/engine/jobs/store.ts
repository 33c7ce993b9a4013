import type { JobState, JsonValue } from '../project/types';

/**
 * Where the JobRunner keeps its job records. The runner lives on the main thread, and whoever
 * wires it passes the store (project/jobs.ts libraryJobStore for the app); worker threads never
 * see it, so only the main thread writes the database.
 */

export interface JobInsert {
  id: string;
  kind: string;
  projectId: number | null;
  mediaId: number | null;
  params: JsonValue;
}

export interface JobUpdate {
  state?: JobState;
  stage?: string;
  progress?: number;
  etaSec?: number | null;
  errorMessage?: string | null;
  errorDetail?: string | null;
  result?: JsonValue | null;
  startedAt?: number | null;
  finishedAt?: number | null;
}

export interface JobStore {
  insert(job: JobInsert): void;
  update(id: string, update: JobUpdate): void;
  /** Mark jobs a previous process left queued or running as failed; returns how many. */
  markInterrupted(): number;
}
