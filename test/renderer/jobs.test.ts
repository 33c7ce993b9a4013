import { describe, expect, it } from 'vitest';
import { jobName, userJobs, type JobProgress } from '../../src/renderer/src/lib/jobs';

const job = (over: Partial<JobProgress>): JobProgress => ({
  jobId: 'j',
  projectId: 1,
  kind: 'separation',
  state: 'queued',
  stage: '',
  fraction: 0,
  etaSec: null,
  elapsedSec: 0,
  error: null,
  action: null,
  ...over,
});

describe('jobs as the user sees them', () => {
  it('names every job kind the app runs in words (a stem edit is not shown as "stem-edit")', () => {
    expect(['analysis', 'separation', 'stem-edit', 'export'].map(jobName)).toEqual(['Analysis', 'Separation', 'Stem edit', 'Export']);
  });

  // A 5 s preview of the visible range, then the 20 s file: one action.
  const preview = (over: Partial<JobProgress>) => job({ jobId: 'p', action: { id: 'p', weight: 5 }, ...over });
  const full = (over: Partial<JobProgress>) => job({ jobId: 'f', action: { id: 'p', weight: 20 }, ...over });

  it('shows the preview and the whole file as one job whose progress never drops between them', () => {
    const steps = [
      [preview({ state: 'running', fraction: 0.5, stage: 'separating' }), full({})],
      [preview({ state: 'running', fraction: 0.99, stage: 'separating' }), full({})],
      [preview({ state: 'done', fraction: 1 }), full({})],
      [preview({ state: 'done', fraction: 1 }), full({ state: 'running', fraction: 0.03, stage: 'separating' })],
      [preview({ state: 'done', fraction: 1 }), full({ state: 'done', fraction: 1 })],
    ].map((parts) => userJobs(parts));
    expect(steps.every((s) => s.length === 1 && s[0].parts === 2 && s[0].jobId === 'p')).toBe(true);
    const fractions = steps.map((s) => s[0].fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(fractions[0]).toBeCloseTo(0.1);
    expect(steps.map((s) => s[0].state)).toEqual(['running', 'running', 'running', 'running', 'done']);
  });

  it('counts the waiting whole file in the time left', () => {
    // The preview has run 2 s and has 2 s left: 5 s of media in 4 s, so 20 s of media takes 16 s.
    const [one] = userJobs([preview({ state: 'running', fraction: 0.5, elapsedSec: 2, etaSec: 2 }), full({})]);
    expect(one.etaSec).toBeCloseTo(18);
  });

  it('counts the start of a part (worker, model) once per part, not per second of media', () => {
    // The preview spent 7 s starting, then 1 s on half its 5 s of media: the 20 s file takes 7 s to
    // start and 8 s of work, not 20 times the preview's 1.8 s per second.
    const [one] = userJobs([preview({ state: 'running', fraction: 0.5, elapsedSec: 8, etaSec: 1 }), full({})]);
    expect(one.etaSec).toBeCloseTo(16);
  });

  it('reports the failure of either part, and keeps other jobs apart', () => {
    const list = userJobs([preview({ state: 'done', fraction: 1 }), full({ state: 'failed', error: 'The disk is full.' }), job({ jobId: 'x', kind: 'export', state: 'running' })]);
    expect(list.map((j) => [j.jobId, j.state, j.error, j.parts])).toEqual([
      ['p', 'failed', 'The disk is full.', 2],
      ['x', 'running', null, 1],
    ]);
  });
});
