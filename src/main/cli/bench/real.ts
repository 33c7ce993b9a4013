import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import analysisJob from '../../engine/analysis/job';
import { readDetections } from '../../engine/detect/detect';
import { defaultDetectWorkers } from '../../engine/detect/pool';
import { ffmpegPath } from '../../engine/media/binaries';
import { probeMedia } from '../../engine/media/probe';
import { sharedRuntime } from '../../engine/models/runtime';

/**
 * Analysis of real footage with the detectors on: the app's analysis job on a clip it is left to
 * decide about (scene 'auto'): the appearance analysis beside the look at the picture (scene rule)
 * and then the detection of faces, people, hands and speech. The clip is a real photograph of two people (test/fixtures/real's material,
 * fetched by its fetch-material.sh) held for `seconds`, with a real voice: the detectors' cost does
 * not depend on whether the picture moves.
 */

export interface RealBenchFigures {
  clipSec: number;
  /** Wall time of the look at the picture (until the detection starts). */
  sceneSec: number;
  /** How long the appearance analysis (from the start) and the detection (after the look) took. */
  analysisSec: number;
  detectSec: number;
  totalSec: number;
  detectWorkers: number;
  xRealTime: number;
  /** CPU time of this process (all its threads, user + system; ffmpeg's decoding not included). */
  cpuSec: number;
  cores: number;
  loadAverage: number;
}

const MATERIAL = ['bar55_2.jpg', 'Front_Center.wav'];

export function realMaterial(root: string): string | null {
  const dir = path.join(root, 'test', 'fixtures', 'real', 'material');
  return MATERIAL.every((f) => existsSync(path.join(dir, f))) ? dir : null;
}

export async function runRealBench(root: string, opts: { seconds?: number; log: (s: string) => void }): Promise<RealBenchFigures> {
  const material = realMaterial(root);
  if (!material) throw new Error('the real-footage bench needs the real test material: run test/fixtures/real/fetch-material.sh');
  const seconds = opts.seconds ?? 60;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-real-'));
  try {
    const clip = path.join(tmp, 'real.mp4');
    execFileSync(ffmpegPath(), [
      '-nostdin', '-v', 'error', '-y', '-loop', '1', '-framerate', '25', '-i', path.join(material, 'bar55_2.jpg'),
      '-stream_loop', '-1', '-i', path.join(material, 'Front_Center.wav'), '-map', '0:v', '-map', '1:a', '-t', String(seconds),
      '-vf', 'scale=640:480', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip,
    ]);
    const info = await probeMedia(clip);
    const cacheRoot = path.join(tmp, 'cache');
    await sharedRuntime({}); // loaded before the clock starts, as in the app (once per session)
    opts.log(`bench real: ${seconds} s clip of real footage`);
    let detectStart: number | null = null;
    const ctx = {
      jobId: 'bench-real',
      signal: new AbortController().signal,
      cancelled: false,
      throwIfCancelled() {},
      progress(stage: string) {
        if (detectStart === null && stage === 'detecting') detectStart = performance.now();
      },
      record() {},
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await analysisJob.run({ media: clip, cacheRoot, scene: 'auto' }, ctx);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (r.scene.kind !== 'real' || !r.detections) throw new Error(`the bench clip was not taken for real footage: ${JSON.stringify(r.scene)}`);
    const detections = await readDetections(r.detections.path);
    const totalSec = (t1 - t0) / 1000;
    const lookSec = ((detectStart ?? t1) - t0) / 1000;
    return {
      clipSec: info.durationSec,
      sceneSec: lookSec,
      analysisSec: r.analysisSec,
      detectSec: detections?.seconds ?? NaN,
      totalSec,
      detectWorkers: defaultDetectWorkers(),
      xRealTime: info.durationSec / totalSec,
      cpuSec: (cpu.user + cpu.system) / 1e6,
      cores: os.availableParallelism?.() ?? os.cpus().length,
      loadAverage: os.loadavg()[0],
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatReal(r: RealBenchFigures): string {
  const f1 = (x: number) => x.toFixed(1);
  return [
    '| measure | value | target |',
    '|---|---|---|',
    `| analysis of real footage with the detectors on (the appearance analysis beside the look at the picture and then faces, people, hands and speech), ${f1(r.clipSec)} s clip | ${f1(r.xRealTime)}x real time (${f1(r.totalSec)} s: the analysis ${f1(r.analysisSec)} s beside the look ${f1(r.sceneSec)} s and then the detection ${f1(r.detectSec)} s, ${r.detectWorkers} detector threads) on ${r.cores} cores, load average ${f1(r.loadAverage)} at the end; ${f1(r.cpuSec)} s of CPU in this process (${f1(r.clipSec / r.cpuSec)}x real time per core busy) | >= 2x |`,
  ].join('\n');
}
