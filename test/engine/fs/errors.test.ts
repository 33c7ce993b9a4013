import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { userFacing } from '../../../src/main/engine/analysis/job';
import { JobError } from '../../../src/main/engine/jobs/define';
import { DISK_FULL_MESSAGE } from '../../../src/main/engine/fs/errors';

describe('file-system errors', () => {
  it.runIf(process.platform === 'linux')('a full disk during analysis or separation says so, like export does', () => {
    // /dev/full answers every write with ENOSPC: the kernel's own full-disk error.
    let err: unknown;
    try {
      writeFileSync('/dev/full', 'stem samples');
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    const shown = userFacing(err);
    expect(shown).toBeInstanceOf(JobError);
    expect((shown as Error).message).toBe(DISK_FULL_MESSAGE);
  });
});
