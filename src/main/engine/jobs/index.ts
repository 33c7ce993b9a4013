/** Heavy work off the main thread. See docs/data.md for the job life cycle. */
export { JobRunner, defaultWorkerEntry, estimateEta, workerSpec } from './runner';
export type {
  JobEvents,
  JobKindMap,
  JobProgressEvent,
  JobRecordEvent,
  JobRunnerOptions,
  JobSnapshot,
  JobState,
  RegisterOptions,
  StartOptions,
} from './runner';
export { defineJob, type JobContext, type JobDefinition, type JobFunction, type JobTypes } from './define';
export { TypedEmitter } from './emitter';
export type { JobInsert, JobStore, JobUpdate } from './store';
