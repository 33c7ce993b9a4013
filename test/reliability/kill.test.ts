import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../src/main/engine/media/binaries';
import { readWav, writeWav } from '../../src/main/engine/media/wav';
import { AnalysisCache } from '../../src/main/engine/analysis/cache';
import { sweepOrphanTemps } from '../../src/main/engine/fs/sweep';
import { JobRunner } from '../../src/main/engine/jobs';
import { getJob, INTERRUPTED_MESSAGE, libraryJobStore, openLibrary } from '../../src/main/engine/project';
import { EXPORT_MANIFEST } from '../../src/main/engine/export/job';
import { rng } from './rng';

/**
 * SIGKILL at seeded random points of analysis, separation and export (a real engine job in a
 * child process, killed once its progress passes a random fraction). After every kill: the
 * database passes its integrity check, no output folder looks complete unless it is, every temp
 * file left is an orphan the start-up sweep removes, and the interrupted job is marked so and runs
 * again to the end. Bounded: KILLS per kind.
 */
export const KILLS = { separation: 4, export: 3 };

const tsx = createRequire(import.meta.url).resolve('tsx');
const child = path.join(__dirname, 'fixtures', 'job-child.ts');
const jobModule = (rel: string) => new URL(rel, import.meta.url).href;
const SEPARATION = jobModule('../../src/main/engine/separation/job.ts');
const EXPORT = jobModule('../../src/main/engine/export/job.ts');

let dir: string;
let clip: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-kill-'));
  clip = path.join(dir, 'clip.mp4');
  execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=12:duration=4',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', clip]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a job in a child and SIGKILL it once its progress reaches `at`; resolves with what it printed. */
function runAndKill(library: string, kind: string, module: string, params: object, at: number): Promise<{ killed: boolean; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', tsx, child, library, kind, module, JSON.stringify(params)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const last = out.trimEnd().split('\n').filter((l) => l.startsWith('progress ')).at(-1);
      if (last && Number(last.split(' ')[1]) >= at) p.kill('SIGKILL');
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL' && !out.includes('ended done')) reject(new Error(`child ended without finishing: ${out}\n${err}`));
      else resolve({ killed: signal === 'SIGKILL', lines: out.split('\n').filter(Boolean) });
    });
  });
}

const isTemp = (name: string) => name.endsWith('.partial') || name.startsWith('.partial-');
function temps(root: string, depth = 3): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    isTemp(e.name) ? [path.join(root, e.name)] : e.isDirectory() && depth > 0 ? temps(path.join(root, e.name), depth - 1) : [],
  );
}

/** A stems folder is absent, or complete: manifest.json and exactly the stems it lists, each whole. */
async function expectSeparationCompleteOrAbsent(out: string): Promise<'absent' | 'complete'> {
  if (!existsSync(out)) return 'absent';
  const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  const files = [...m.stems.sources.map((s: { file: string }) => s.file), m.stems.residual];
  expect(readdirSync(out).sort()).toEqual([...files, 'manifest.json'].sort());
  for (const f of files) expect((await readWav(path.join(out, f))).channels[0].length).toBe(m.stems.frames);
  return 'complete';
}

async function expectCachesComplete(root: string): Promise<void> {
  for (const e of existsSync(root) ? readdirSync(root) : []) {
    if (e.startsWith('.')) continue;
    if (e === 'detections') {
      // The picture detectors' cache (scene looks, detections): whole JSON files, written atomically.
      for (const f of readdirSync(path.join(root, e)).filter((n) => !n.startsWith('.'))) expect(() => JSON.parse(readFileSync(path.join(root, e, f), 'utf8')), f).not.toThrow();
      continue;
    }
    const cache = await AnalysisCache.open(path.join(root, e));
    expect(cache, `${e} is a cache folder that does not open`).not.toBeNull();
    await cache!.close();
  }
}

function expectIntact(libraryFile: string): void {
  const lib = openLibrary(libraryFile);
  try {
    expect(lib.db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    lib.close();
  }
}

describe('kills at random points', () => {
  it(`analysis and separation, ${KILLS.separation} kills: nothing partial looks complete, and the job runs again`, async () => {
    const r = rng(7);
    const data = path.join(dir, 'sep');
    mkdirSync(data, { recursive: true });
    const library = path.join(data, 'stemsight.db');
    const outcomes: string[] = [];
    let last: { id: string; params: object } | null = null;
    for (let i = 0; i < KILLS.separation; i++) {
      // The first kills find no analysis (they land in it); later ones land in the separation.
      const cacheRoot = path.join(data, i < 2 ? `cache-${i}` : 'cache-warm');
      const params = { media: clip, sources: [{ x: 0.3, y: 0.5, timeSec: 1 }, { x: 0.7, y: 0.5, timeSec: 1 }], outDir: path.join(data, 'stems', `run-${i}`), format: 'f32', cacheRoot };
      const run = await runAndKill(library, 'separation', SEPARATION, params, 0.02 + 0.95 * r());
      const id = run.lines.find((l) => l.startsWith('started '))!.split(' ')[1];
      if (run.killed) last = { id, params };
      expectIntact(library);
      const stage = run.lines.filter((l) => l.startsWith('progress ')).at(-1)?.split(' ').slice(1).join(' ') ?? 'start';
      outcomes.push(`${run.killed ? 'killed' : 'finished'} at ${stage} -> ${await expectSeparationCompleteOrAbsent(params.outDir)}`);
      await expectCachesComplete(cacheRoot);
    }
    console.info(`separation kills: ${outcomes.join('; ')}`);
    // Every temp file left is an orphan, and the sweep takes them all.
    await sweepOrphanTemps(data, 3);
    expect(temps(data)).toEqual([]);
    // The next start marks the interrupted job, and it runs again to the end.
    expect(last, `no kill landed: ${outcomes.join(' ')}`).not.toBeNull();
    const lib = openLibrary(library);
    const runner = new JobRunner({ store: libraryJobStore(lib) });
    try {
      expect(getJob(lib, last!.id)).toMatchObject({ state: 'failed', errorMessage: INTERRUPTED_MESSAGE });
      runner.register('separation', new URL(SEPARATION));
      const again = await runner.wait(runner.start('separation', last!.params));
      expect(again.state, again.errorMessage ?? '').toBe('done');
      expect(await expectSeparationCompleteOrAbsent((last!.params as { outDir: string }).outDir)).toBe('complete');
    } finally {
      await runner.dispose();
      lib.close();
    }
  }, 600_000);

  it(`export with its video stage, ${KILLS.export} kills: no folder that looks exported unless it is`, async () => {
    const r = rng(11);
    const data = path.join(dir, 'exp');
    const stemsDir = path.join(data, 'stems');
    mkdirSync(stemsDir, { recursive: true });
    const stems = [];
    for (const [i, name] of ['voice', 'residual'].entries()) {
      const x = new Float32Array(48000 * 4).map((_, k) => 0.2 * Math.sin((k * (i + 1)) / 20));
      await writeWav(path.join(stemsDir, `${name}.wav`), { sampleRate: 48000, channels: [x, x] }, 'f32');
      stems.push({ path: path.join(stemsDir, `${name}.wav`), name, index: i + 1, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false });
    }
    const library = path.join(data, 'stemsight.db');
    const parent = path.join(data, 'exports');
    mkdirSync(parent);
    const folder = path.join(parent, 'P export');
    const outcomes: string[] = [];
    for (let i = 0; i < KILLS.export; i++) {
      const params = { media: clip, projectName: 'P', folder, replace: true, roots: [parent], stems, format: 'wav24', sampleRate: null,
        namingTemplate: '{index}_{stem}', targets: ['stems', 'mix', 'video', 'daw'] };
      const run = await runAndKill(library, 'export', EXPORT, params, 0.05 + 0.9 * r());
      expectIntact(library);
      const stage = run.lines.filter((l) => l.startsWith('progress ')).at(-1)?.split(' ').slice(1).join(' ') ?? 'start';
      outcomes.push(`${run.killed ? 'killed' : 'finished'} at ${stage} -> ${existsSync(folder) ? 'complete' : 'absent'}`);
      if (existsSync(folder)) {
        const listed = JSON.parse(readFileSync(path.join(folder, EXPORT_MANIFEST), 'utf8')).files as string[];
        expect(readdirSync(folder).filter((f) => !f.startsWith('.')).sort()).toEqual([...listed].sort());
        expect(listed).toContain('P remix.mp4');
      }
    }
    console.info(`export kills: ${outcomes.join('; ')}`);
    await sweepOrphanTemps(parent);
    expect(temps(parent)).toEqual([]);
  }, 600_000);
});
