import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addMedia, createProject, openLibrary, type Library, type Media, type Project } from '../../../src/main/engine/project';

export interface Fixture {
  dir: string;
  lib: Library;
  /** Advance the library's clock (it starts at a fixed time). */
  tick(ms: number): void;
  cleanup(): void;
}

export function makeLibrary(): Fixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-db-'));
  let clock = 1_700_000_000_000;
  const lib = openLibrary(path.join(dir, 'stemsight.db'), { now: () => clock });
  return {
    dir,
    lib,
    tick: (ms) => {
      clock += ms;
    },
    cleanup: () => {
      lib.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function makeProject(lib: Library, name = 'Demo'): { project: Project; media: Media } {
  const project = createProject(lib, { name });
  const media = addMedia(lib, {
    projectId: project.id,
    path: path.resolve('/media/clip.mp4'),
    fingerprint: { size: 1234, mtimeMs: 1_600_000_000_000, quickHash: 'a'.repeat(64) },
    probe: { duration: 12.5, width: 1920, height: 1080, fps: 25, sampleRate: 48000, channels: 2 },
  });
  return { project, media };
}
