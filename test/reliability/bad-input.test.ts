import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../src/main/engine/media/binaries';
import { wavHeader } from '../../src/main/engine/media/wav';
import { policyFromRoots } from '../../src/main/access';
import { createServices, type Services } from '../../src/main/services';
import { cli, expectOneLineError } from '../cli/run-cli';
import { rng } from './rng';

/**
 * A generated corpus of bad media, and a bounded fuzz loop of byte-mutated copies of a good clip,
 * through the CLI and through the API (the real engine behind createServices). Every input gets
 * a result or one clear line; nothing crashes, nothing is written for a refused input.
 * Bounded: MUTANTS mutated clips per run.
 */
export const MUTANTS = 24;

let dir: string;
let good: string;
const corpus: { name: string; file: string }[] = [];
const ff = (args: string[]) => execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args]);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bad-'));
  const media = path.join(dir, 'media');
  mkdirSync(media);
  good = path.join(media, 'good.mp4');
  ff(['-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=12:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050:duration=2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', good]);
  const bytes = readFileSync(good);
  const add = (name: string, data: Buffer | string | null, make?: (file: string) => void) => {
    const file = path.join(media, name);
    if (data !== null) writeFileSync(file, data);
    make?.(file);
    corpus.push({ name, file });
  };
  add('empty.mp4', Buffer.alloc(0));
  add('random.mp4', Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919 + 13) % 256)));
  add('text.mkv', 'not a video\n');
  for (const f of [0.05, 0.3, 0.6, 0.9]) add(`cut-${f}.mp4`, bytes.subarray(0, Math.floor(bytes.length * f)));
  add('header-only.wav', wavHeader(44100, 2, 'wav16', 0));
  add('huge-claim.wav', Buffer.concat([wavHeader(8000, 1, 'wav16', 0xfffff000), Buffer.alloc(1600)]));
  add('zero-channels.wav', (() => { const h = wavHeader(8000, 1, 'wav16', 16); h.writeUInt16LE(0, 22); return Buffer.concat([h, Buffer.alloc(16)]); })());
  add('no-audio.mp4', null, (file) => ff(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]));
  add('folder.mp4', null, (file) => mkdirSync(file));
  add('missing.mp4', null);
  add('dangling-link.mp4', null, (file) => symlinkSync(path.join(media, 'nowhere.mp4'), file));
  add("quote ' $(touch pwned) \u{1F600}.mp4", bytes);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seeded mutants of the good clip: flipped bytes, zeroed runs, cut tails, repeated chunks. */
function mutants(n: number): { name: string; file: string }[] {
  const r = rng(99);
  const bytes = readFileSync(good);
  const out: { name: string; file: string }[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.from(bytes);
    const kind = i % 4;
    if (kind === 0) for (let k = 0; k < 1 + Math.floor(r() * 40); k++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
    if (kind === 1) b.fill(0, Math.floor(r() * b.length), Math.floor(r() * b.length));
    const data = kind === 2 ? b.subarray(0, Math.floor(r() * b.length)) : kind === 3 ? Buffer.concat([b.subarray(0, 4000), b]) : b;
    const file = path.join(dir, 'media', `mutant-${i}.mp4`);
    writeFileSync(file, data);
    out.push({ name: `mutant-${i}`, file });
  }
  return out;
}

describe('bad input through the CLI', () => {
  it('the corpus: separate answers each with one line or with complete stems, and writes nothing for a refusal', async () => {
    for (const c of corpus) {
      const out = path.join(dir, 'cli-out', c.name.replace(/[^a-z0-9.-]/gi, '_'));
      const r = await cli(['separate', c.file, '--source', '0.5,0.5', '--out', out], { STEMSIGHT_CACHE_DIR: path.join(dir, 'cache') });
      if (c.name.startsWith('quote')) {
        expect(r.code, r.stderr).toBe(0);
        expect(readdirSync(out).sort()).toEqual(['manifest.json', 'residual.wav', 'source-1.wav']);
      } else {
        expectOneLineError(r, /./);
        expect(existsSync(out), c.name).toBe(false);
      }
    }
    expect(readdirSync(dir)).not.toContain('pwned');
  }, 600_000);

  it(`${MUTANTS} mutated clips: probe ends in a result or one line, never a crash`, async () => {
    for (const m of mutants(MUTANTS)) {
      const probe = await cli(['probe', m.file]);
      if (probe.code !== 0) expectOneLineError(probe, /./);
      else expect(() => JSON.parse(probe.stdout)).not.toThrow();
    }
  }, 600_000);
});

describe('bad input through the API', () => {
  let services: Services;
  beforeAll(async () => {
    services = await createServices({ dataDir: path.join(dir, 'data'), transport: 'web', policy: await policyFromRoots([path.join(dir, 'media')]), log: () => undefined });
  });
  afterAll(async () => services.close());

  /** media.open, then the waveform: a Result each time, a known code and one line when it fails. */
  async function open(file: string): Promise<string> {
    const r = await services.api.dispatch('media.open', { path: file });
    if (!r.ok) {
      expect(['media_error', 'bad_request', 'not_found', 'forbidden'], `${file}: ${r.error.message}`).toContain(r.error.code);
      expect(r.error.message.split('\n')).toHaveLength(1);
      return r.error.code;
    }
    const project = r.result as { media: { id: number } };
    const peaks = await services.api.dispatch('media.peaks', { mediaId: project.media.id });
    if (!peaks.ok) {
      expect(peaks.error.code, peaks.error.message).toBe('media_error');
      expect(peaks.error.message.split('\n')).toHaveLength(1);
      return 'peaks:media_error';
    }
    return 'ok';
  }

  it('the corpus and the mutants: every request answers with a Result, never an internal error', async () => {
    const seen: Record<string, string> = {};
    for (const c of [...corpus, ...mutants(MUTANTS)]) seen[c.name] = await open(c.file);
    expect(seen['empty.mp4']).toBe('media_error');
    expect(seen['missing.mp4']).toBe('not_found');
    expect(seen['folder.mp4']).toBe('bad_request');
    expect(seen["quote ' $(touch pwned) \u{1F600}.mp4"]).toBe('ok');
    // The server still works after all of it.
    expect((await services.api.dispatch('media.open', { path: good })).ok).toBe(true);
  }, 600_000);
});
