import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFolderInUseError, LOCK_FILE, lockDataFolder } from '../../src/main/data-lock';
import { policyFromRoots } from '../../src/main/access';
import { createServices } from '../../src/main/services';
import { insertJob, updateJob, getJob } from '../../src/main/engine/project/jobs';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The pid of a process that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('one Stemsight per data folder', () => {
  it('a second lock on the same folder is refused until the first is released', () => {
    const dir = path.join(tmp, 'a');
    const release = lockDataFolder(dir);
    expect(() => lockDataFolder(dir)).toThrow(DataFolderInUseError);
    expect(() => lockDataFolder(dir)).toThrow(/already running with the data folder/);
    release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lockDataFolder(dir)();
  });

  it('takes over the lock of a process that is gone (a crash or a kill)', () => {
    const dir = path.join(tmp, 'b');
    lockDataFolder(dir)();
    writeFileSync(path.join(dir, LOCK_FILE), `${deadPid()}\n`);
    const release = lockDataFolder(dir);
    release();
  });

  it('a second instance does not mark the first one\'s running job interrupted', async () => {
    const dataDir = path.join(tmp, 'c');
    const policy = await policyFromRoots([tmp]);
    const first = await createServices({ dataDir, transport: 'web', policy, log: () => undefined });
    insertJob(first.library, { id: '0123456789abcdef', kind: 'separation', params: {} });
    updateJob(first.library, '0123456789abcdef', { state: 'running', startedAt: Date.now() });
    await expect(createServices({ dataDir, transport: 'web', policy, log: () => undefined })).rejects.toThrow(/already running/);
    expect(getJob(first.library, '0123456789abcdef').state).toBe('running');
    await first.close();
    // Once the first is gone, its job really was interrupted, and the next start says so.
    const next = await createServices({ dataDir, transport: 'web', policy, log: () => undefined });
    expect(getJob(next.library, '0123456789abcdef').state).toBe('failed');
    await next.close();
  });

  it('start-up removes the temp files a killed process left in the data folder', async () => {
    const dataDir = path.join(tmp, 'd');
    const run = path.join(dataDir, 'stems', '1', 'r1-full');
    mkdirSync(run, { recursive: true });
    const orphan = path.join(run, `.source-1.wav.${deadPid()}.0a1b2c3d.partial`);
    writeFileSync(orphan, Buffer.alloc(4096));
    const services = await createServices({ dataDir, transport: 'web', policy: await policyFromRoots([tmp]), log: () => undefined });
    expect(existsSync(orphan)).toBe(false);
    await services.close();
  });
});
