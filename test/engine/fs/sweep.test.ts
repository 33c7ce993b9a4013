import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempPathFor } from '../../../src/main/engine/fs/atomic';
import { isOrphanTemp, sweepOrphanTemps } from '../../../src/main/engine/fs/sweep';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('sweeping orphan temp files', () => {
  it('removes temp files and folders of processes that are gone, and nothing else', async () => {
    const dead = deadPid();
    const stems = path.join(tmp, 'stems', '3', 'run-full');
    mkdirSync(stems, { recursive: true });
    const orphanFile = path.join(stems, `.source-1.wav.${dead}.0123abcd.partial`);
    writeFileSync(orphanFile, Buffer.alloc(1000));
    const orphanRun = path.join(tmp, 'stems', '3', `.run-full.${dead}.89abcdef.partial`);
    mkdirSync(orphanRun);
    writeFileSync(path.join(orphanRun, 'residual.wav'), Buffer.alloc(500));
    const orphanCache = path.join(tmp, 'cache', `.partial-${dead}-Xy12Ab`);
    mkdirSync(orphanCache, { recursive: true });
    // Being written right now by this process: must stay.
    const live = tempPathFor(path.join(stems, 'source-2.wav'));
    writeFileSync(live, 'x');
    // Not a temp name of ours.
    const mine = path.join(stems, 'notes.partial');
    writeFileSync(mine, 'mine');
    const done = path.join(stems, 'source-1.wav');
    writeFileSync(done, 'stem');

    expect(isOrphanTemp(path.basename(live))).toBe(false);
    const r = await sweepOrphanTemps(tmp, 3);
    expect(r.removed.sort()).toEqual([orphanCache, orphanRun, orphanFile].sort());
    expect(r.bytes).toBe(1500);
    for (const f of [live, mine, done]) expect(existsSync(f)).toBe(true);
  });
});
