import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, expectOneLineError } from './run-cli';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-cli-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string, bytes: number, ageMin: number): void {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'visual.f16'), Buffer.alloc(bytes));
  writeFileSync(path.join(dir, name, 'meta.json'), '{}');
  const t = new Date(Date.now() - ageMin * 60_000);
  utimesSync(path.join(dir, name, 'meta.json'), t, t);
}

describe('stemsight cache', () => {
  it('reports the analysis cache, trims it to a size and clears it', async () => {
    entry('old', 3000, 30);
    entry('new', 3000, 1);
    const show = await cli(['cache', '--dir', dir]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ dir, analyses: 2, bytes: 6004, removed: 0 });
    const trim = await cli(['cache', '--dir', dir, '--max-mb', '0.004']);
    expect(JSON.parse(trim.stdout)).toMatchObject({ analyses: 1, bytes: 3002, removed: 1, freedBytes: 3002 });
    const clear = await cli(['cache', '--dir', dir, '--clear']);
    expect(JSON.parse(clear.stdout)).toMatchObject({ analyses: 0, bytes: 0, removed: 1 });
    expectOneLineError(await cli(['cache', '--dir', dir, '--max-mb', 'lots']), /--max-mb must be a number/);
  }, 120_000);
});
