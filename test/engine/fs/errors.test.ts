import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DISK_FULL_MESSAGE, errorInfo } from '../../../src/shared/errors';

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
    const shown = errorInfo(err, 'Analysis');
    expect(shown.code).toBe('io_error');
    expect(shown.message).toBe(DISK_FULL_MESSAGE);
  });
});
