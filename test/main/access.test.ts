import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFolder, policyFromRoots, resolveMediaPath, type AccessPolicy } from '../../src/main/access';
import { AppError } from '../../src/shared/errors';

let tmp: string;
let root: string;
let policy: AccessPolicy;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? err.code : `unexpected ${String(err)}`;
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-access-'));
  root = path.join(tmp, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(path.join(tmp, 'outside'));
  writeFileSync(path.join(root, 'clip.mp4'), 'x');
  writeFileSync(path.join(root, 'sub', 'song.FLAC'), 'x');
  writeFileSync(path.join(root, 'notes.txt'), 'x');
  writeFileSync(path.join(root, '.hidden.mp4'), 'x');
  writeFileSync(path.join(tmp, 'outside', 'secret.mp4'), 'x');
  // A link inside the root that points outside it must not let the renderer escape.
  symlinkSync(path.join(tmp, 'outside', 'secret.mp4'), path.join(root, 'link.mp4'));
  symlinkSync(path.join(tmp, 'outside'), path.join(root, 'linkdir'));
  policy = await policyFromRoots([root, path.join(tmp, 'does-not-exist'), 'relative/root']);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('access policy', () => {
  it('keeps only existing absolute roots', () => {
    expect(policy.roots).toHaveLength(1);
  });

  it('accepts media files inside the roots', async () => {
    expect(await resolveMediaPath(policy, path.join(root, 'clip.mp4'))).toMatch(/clip\.mp4$/);
    expect(await resolveMediaPath(policy, path.join(root, 'sub', 'song.FLAC'))).toMatch(/song\.FLAC$/);
  });

  it('refuses everything else with a specific code', async () => {
    expect(await code(resolveMediaPath(policy, 'clip.mp4'))).toBe('bad_request');
    expect(await code(resolveMediaPath(policy, path.join(root, 'notes.txt')))).toBe('bad_request');
    expect(await code(resolveMediaPath(policy, path.join(root, 'sub')))).toBe('bad_request');
    expect(await code(resolveMediaPath(policy, path.join(root, 'missing.mp4')))).toBe('not_found');
    expect(await code(resolveMediaPath(policy, path.join(tmp, 'outside', 'secret.mp4')))).toBe('forbidden');
    expect(await code(resolveMediaPath(policy, path.join(root, '..', 'outside', 'secret.mp4')))).toBe('forbidden');
    expect(await code(resolveMediaPath(policy, path.join(root, 'link.mp4')))).toBe('forbidden');
    expect(await code(resolveMediaPath(policy, path.join(root, 'linkdir', 'secret.mp4')))).toBe('forbidden');
  });

  it('lets a file picked in main skip the roots, but not the other checks', async () => {
    expect(await code(resolveMediaPath(policy, path.join(tmp, 'outside', 'secret.mp4'), false))).toBe('ok');
    expect(await code(resolveMediaPath(policy, path.join(root, 'notes.txt'), false))).toBe('bad_request');
  });

  it('lists folders and media only, folders first, no hidden files', async () => {
    const top = await listFolder(policy, undefined);
    expect(top.entries.map((e) => e.path)).toEqual(policy.roots);
    const l = await listFolder(policy, root);
    expect(l.parent).toBeNull();
    expect(l.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['dir:linkdir', 'dir:sub', 'media:clip.mp4', 'media:link.mp4']);
    const sub = await listFolder(policy, path.join(root, 'sub'));
    expect(sub.parent).toBe(policy.roots[0]);
    expect(await code(listFolder(policy, path.join(root, 'linkdir')))).toBe('forbidden');
    expect(await code(listFolder(policy, tmp))).toBe('forbidden');
    expect(await code(listFolder(policy, '/'))).toBe('forbidden');
  });
});
