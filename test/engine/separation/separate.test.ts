import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';
import { probeMedia, type MediaInfo } from '../../../src/main/engine/media/probe';
import { readAudio } from '../../../src/main/engine/media/audio';
import { readWav } from '../../../src/main/engine/media/wav';
import { ModelRuntime } from '../../../src/main/engine/models';
import { analyzeMedia, type AnalysisOutcome } from '../../../src/main/engine/analysis/analyze';
import { CACHE_FORMAT } from '../../../src/main/engine/analysis/cache';
import { heldHeat } from '../../../src/main/engine/analysis/pointing';
import { separate, withActivity } from '../../../src/main/engine/separation/separate';
import { followSources } from '../../../src/main/engine/separation/movement-share';
import { composeSources } from '../../../src/main/engine/separation/query';
import { planStages, STAGES, windowMasks } from '../../../src/main/engine/stages';
import { monoChunks, windowMagnitude } from '../../../src/main/engine/analysis/windows';
import { applyMask, completeMasks } from '../../../src/main/engine/dsp/masks';
import { istft, stft } from '../../../src/main/engine/dsp/stft';
import { resample } from '../../../src/main/engine/dsp/resample';
import { toMono } from '../../../src/main/engine/dsp/mono';
import { stopMaskWorker } from '../../../src/main/engine/separation/mask-client';
import { analysisKey, libraryIndex } from '../../../src/main/engine/analysis/library-index';
import { createProject, fingerprintFile, getAnalysis, listMedia, openLibrary } from '../../../src/main/engine/project';

let dir: string, clip: string, info: MediaInfo, rt: ModelRuntime, analysis: AnalysisOutcome;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-sep-'));
  clip = path.join(dir, 'clip.mp4');
  // 16:9 testsrc with two tones (440 Hz left, 1000 Hz right) at 48 kHz, 6 s: > one window hop.
  execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=192x108:rate=10:duration=6',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=6', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=6',
    '-filter_complex', '[1:a][2:a]join=inputs=2:channel_layout=stereo[a]', '-map', '0:v', '-map', '[a]',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  info = await probeMedia(clip);
  rt = await ModelRuntime.create({ device: 'cpu' });
  analysis = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: path.join(dir, 'cache') });
}, 120_000);

afterAll(async () => {
  await stopMaskWorker();
  await analysis?.cache.close();
  await rt?.release();
  rmSync(dir, { recursive: true, force: true });
});

describe('analysis cache', () => {
  it('the second analysis of the same file is served from the cache', async () => {
    expect(analysis.cache.meta.frames).toBeGreaterThanOrEqual(47);
    expect(analysis.cache.meta.fps).toBe(8);
    const again = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: path.join(dir, 'cache') });
    expect(again.cached).toBe(true);
    expect(await again.cache.visualFeatures(3)).toEqual(await analysis.cache.visualFeatures(3));
    await again.cache.close();
  });

  it('stores where the picture moves, frame by frame: the pointing heatmaps weigh the held audio-visual ones by it', async () => {
    const { cache } = analysis;
    const cells = cache.meta.grid[0] * cache.meta.grid[1];
    expect(cache.meta.files.movement).toBe('movement.f16');
    // What is weighed: each cell's audio-visual match held over the frames around it.
    const heat = heldHeat(await cache.heatmaps(0, cache.meta.frames), cells, cache.meta.fps);
    const pointing = await cache.pointing(0, cache.meta.frames);
    expect(pointing.length).toBe(heat.length);
    // The test picture's counter and colours change every frame: the cells that move keep their
    // heat against the still ones, which keep a tenth; each frame is as sure as its heatmap.
    let weighted = 0;
    for (let f = 0; f < cache.meta.frames; f++) {
      const frame = (v: Float32Array) => Array.from(v.subarray(f * cells, (f + 1) * cells));
      const h = frame(heat), p = frame(pointing);
      expect(Math.max(...p)).toBeCloseTo(Math.max(...h), 5);
      const ratios = h.flatMap((x, i) => (x > 1e-3 ? [p[i] / x] : []));
      const top = Math.max(...ratios);
      for (const r of ratios) expect(r).toBeGreaterThanOrEqual(0.1 * top - 1e-4);
      weighted += ratios.filter((r) => r < 0.5 * top).length;
    }
    expect(weighted).toBeGreaterThan(0);
    // A range read gives the same frames as the whole (the movement around its ends is read too).
    expect(await cache.pointing(10, 5)).toEqual(pointing.subarray(10 * cells, 15 * cells));
  });

  it("keeps a grey copy of the picture as the tracker sees it, and is not complete without it", async () => {
    const copy = analysis.cache.trackingCopy!;
    expect(path.basename(copy)).toBe('tracking.mkv');
    const copied = await probeMedia(copy);
    // The tracker's view: 180 pixels high, the picture's shape, the video's own rate.
    expect([copied.video?.width, copied.video?.height, copied.video?.fps]).toEqual([320, 180, 10]);
    expect(copied.durationSec).toBeCloseTo(info.durationSec, 0);
    // A folder whose copy is gone (a disk cleaner, a copy by hand) is analysed again, not used without it.
    const root = mkdtempSync(path.join(dir, 'copy-'));
    const first = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: root });
    await first.cache.close();
    rmSync(first.cache.trackingCopy!);
    const again = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: root });
    expect(again.cached).toBe(false);
    expect(existsSync(again.cache.trackingCopy!)).toBe(true);
    await again.cache.close();
  });

  it('a cache of an older format in the same folder is analysed again and replaced', async () => {
    const root = path.join(dir, 'cache-old');
    const first = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: root });
    const metaPath = first.cache.metaPath;
    await first.cache.close();
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    writeFileSync(metaPath, JSON.stringify({ ...meta, format: CACHE_FORMAT - 1 }));
    const again = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: root });
    expect(again.cached).toBe(false);
    expect(again.cache.metaPath).toBe(metaPath);
    expect(JSON.parse(readFileSync(metaPath, 'utf8')).format).toBe(CACHE_FORMAT);
    await again.cache.close();
  });
});

describe('analyses table', () => {
  it('indexes the cache: the row points at a complete meta.json and is used on the next open', async () => {
    const lib = openLibrary(path.join(dir, 'library.db'));
    try {
      const fp = await fingerprintFile(clip);
      const project = createProject(lib, { name: 'p', media: { path: clip, fingerprint: fp, probe: {} } });
      const mediaId = listMedia(lib, project.id)[0].id;
      const a = await analyzeMedia(clip, { runtime: rt, info, cacheRoot: path.join(dir, 'cache'), index: libraryIndex(lib, mediaId, rt.card) });
      const row = getAnalysis(lib, analysisKey(mediaId, rt.card));
      expect(row).toMatchObject({ status: 'ready', cachePath: a.cache.metaPath });
      expect(existsSync(row!.cachePath!)).toBe(true);
      await a.cache.close();
    } finally {
      lib.close();
    }
  });
});

describe('separate()', () => {
  it('writes stems at the media rate, channels and exact length that sum back to the mixture (-60 dB)', async () => {
    const out = path.join(dir, 'out');
    const r = await separate(clip, [{ x: 0.25, y: 0.5, timeSec: 1 }, { x: 0.75, y: 0.5, timeSec: 1 }], { runtime: rt, cache: analysis.cache, info, outDir: out, format: 'f32' });
    const mix = await readAudio(clip);
    const stems = await Promise.all(['source-1.wav', 'source-2.wav', 'residual.wav'].map((f) => readWav(path.join(out, f))));
    for (const s of stems) {
      expect(s.sampleRate).toBe(48000);
      expect(s.channels).toHaveLength(2);
      expect(s.channels[0].length).toBe(mix.channels[0].length);
    }
    expect(r.frames).toBe(mix.channels[0].length);
    for (let c = 0; c < 2; c++) {
      let e = 0, ref = 0;
      const x = mix.channels[c];
      for (let i = 0; i < x.length; i++) {
        e += (stems[0].channels[c][i] + stems[1].channels[c][i] + stems[2].channels[c][i] - x[i]) ** 2;
        ref += x[i] ** 2;
      }
      expect(10 * Math.log10(e / ref)).toBeLessThan(-60);
    }
    // Window borders (model window hop 49152 at 11025 Hz = 4.458 s) cause no click: on these steady
    // tones the largest sample-to-sample step near the border is no larger than elsewhere.
    const border = Math.round((49152 / 11025) * 48000);
    for (const s of stems.slice(0, 2)) {
      const y = s.channels[0];
      const jump = (a: number, b: number) => {
        let m = 0;
        for (let i = a + 1; i < b; i++) m = Math.max(m, Math.abs(y[i] - y[i - 1]));
        return m;
      };
      const near = jump(border - 4800, border + 4800);
      const away = Math.max(jump(48000, border - 9600), jump(border + 9600, y.length - 4800));
      expect(near).toBeLessThanOrEqual(away * 1.25 + 1e-6);
    }
    expect(r.activity?.values).toHaveLength(2);
    expect(r.activity?.values[0]?.length).toBe(analysis.cache.meta.frames);
    // every stage the shipped card declares is used (appearance, and motion once it is shipped)
    expect(r.stages.used).toEqual(rt.card.stages);
  });

  it('agrees with the model on one window: the full-rate stems, at 11025 Hz mono, are the masks of the model sessions applied there', async () => {
    const card = rt.card;
    const clicks = [{ x: 0.25, y: 0.5, timeSec: 1 }, { x: 0.75, y: 0.5, timeSec: 1 }];
    // One window from 0 (hop past the window: no cross-fade with the next one in its first 5.9 s).
    const out = path.join(dir, 'one-window');
    await separate(clip, clicks, { runtime: rt, cache: analysis.cache, info, outDir: out, format: 'f32', windowHop: card.audio.windowSamples + 1, pipeline: false });
    // The reference: the models' own grid, straight from the sessions.
    const parts: Float32Array[] = [];
    for await (const c of monoChunks(clip, card.audio.sampleRate, { info })) parts.push(c);
    const mono = new Float32Array(card.audio.windowSamples);
    let at = 0;
    for (const c of parts) {
      if (at >= mono.length) break;
      mono.set(c.subarray(0, Math.min(c.length, mono.length - at)), at);
      at += c.length;
    }
    const { inputs: composed } = await composeSources(card, analysis.cache, clicks);
    // The sources as separate() gives them to a refinement that reads activities: followed from the start.
    const sources = withActivity(composed, await followSources(clip, info, clicks, { fromSec: 0, toSec: null }));
    const audio = await rt.audio(windowMagnitude(card, mono));
    const { masks } = await windowMasks(planStages(card), { runtime: rt, card, cache: analysis.cache, start: 0, audio, sources });
    const cells = card.audio.bins * card.audio.frames;
    const complete = completeMasks([masks.subarray(0, cells), masks.subarray(cells, 2 * cells)]);
    // Applied to the mixture resampled like the stems below (the sessions' input came through
    // ffmpeg's resampler, as in the app), so the comparison is of the two ways to apply the masks.
    const mix = resample(toMono((await readAudio(clip)).channels), 48000, card.audio.sampleRate).subarray(0, mono.length);
    const X = stft(mix, { nFft: card.audio.nFft, hop: card.audio.hop, center: true, padMode: 'reflect' });
    for (let k = 0; k < 2; k++) {
      const ref = istft(applyMask(X, complete[k]), { length: mix.length });
      const stem = await readWav(path.join(out, `source-${k + 1}.wav`));
      const est = resample(toMono(stem.channels), 48000, card.audio.sampleRate);
      // 0.5 .. 5.5 s: away from the ends (reflection padding differs between the two grids).
      let e = 0, r = 0, m = 0;
      for (let i = 5512; i < 60637; i++) {
        e += (est[i] - ref[i]) ** 2;
        r += ref[i] ** 2;
        m += mix[i] ** 2;
      }
      expect(r).toBeGreaterThan(0);
      // The full-rate STFT (85-93 ms windows, masks interpolated between the models' bins) applies
      // the same masks a little differently than the 1022-point grid does, most on these pure tones
      // (a tone spreads over several model bins with different mask values). The difference is
      // measured against the mixture, because a source the model mutes here has almost no energy
      // of its own; where the stem carries real energy it is also held to 15 dB of its own level.
      // Swapped or unapplied masks miss both by far.
      expect(10 * Math.log10(m / e)).toBeGreaterThan(30);
      if (r > m / 100) expect(10 * Math.log10(r / e)).toBeGreaterThan(15);
    }
  });

  it('the pipelined path (masks in a worker thread) gives the same stems as the single-thread one', async () => {
    const clicks = [{ x: 0.3, y: 0.4, timeSec: 2 }];
    const a = path.join(dir, 'pipe-on'), b = path.join(dir, 'pipe-off');
    await separate(clip, clicks, { runtime: rt, cache: analysis.cache, info, outDir: a, format: 'f32', pipeline: true });
    await separate(clip, clicks, { runtime: rt, cache: analysis.cache, info, outDir: b, format: 'f32', pipeline: false });
    const [x, y] = await Promise.all([readWav(path.join(a, 'source-1.wav')), readWav(path.join(b, 'source-1.wav'))]);
    expect(x.channels[0].length).toBe(y.channels[0].length);
    let m = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < x.channels[c].length; i++) m = Math.max(m, Math.abs(x.channels[c][i] - y.channels[c][i]));
    expect(m).toBeLessThan(1e-4);
  });

  it('cancels: rejects soon after the signal and leaves no stem files behind', async () => {
    const out = path.join(dir, 'cancelled');
    const ac = new AbortController();
    const p = separate(clip, [{ x: 0.5, y: 0.5, timeSec: 0 }], {
      runtime: rt,
      cache: analysis.cache,
      info,
      outDir: out,
      signal: ac.signal,
      onProgress: () => ac.abort(),
    });
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    const left = existsSync(out) ? readdirSync(out) : [];
    expect(left).toEqual([]);
  });

  it('rejects bad clicks in one line', async () => {
    await expect(separate(clip, [{ x: 1.5, y: 0.5, timeSec: 0 }], { runtime: rt, cache: analysis.cache, info, outDir: path.join(dir, 'bad') })).rejects.toThrow(/X,Y must be numbers in 0\.\.1/);
  });
});

describe('stage pipeline', () => {
  it('a card declaring the motion stage without its sessions still separates with appearance, and says so', () => {
    const plan = planStages({ ...rt.card, stages: ['appearance', 'motion'] }, (s) => rt.has(s));
    if (rt.card.sessions.refine && rt.card.sessions.motion) expect(plan.used).toContain('motion');
    else {
      expect(plan.used).toEqual(['appearance']);
      expect(plan.skipped[0]).toMatchObject({ stage: 'motion' });
    }
    expect(STAGES.motion.separation).toBeDefined();
  });
});
