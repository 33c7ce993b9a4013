import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeMedia } from '../../engine/analysis/analyze';
import { detectMedia } from '../../engine/detect/detect';
import { sniffScene } from '../../engine/detect/scene';
import { ffmpegPath } from '../../engine/media/binaries';
import { probeMedia } from '../../engine/media/probe';
import { sharedRuntime } from '../../engine/models/runtime';

/**
 * Analysis of real footage with the detectors on, as the app runs it for a clip it takes for real
 * footage: the look at the picture (scene rule), the appearance analysis, then faces, people,
 * hands and speech. The clip is a real photograph of two people (test/fixtures/real's material,
 * fetched by its fetch-material.sh) held for `seconds`, with a real voice: the detectors' cost does
 * not depend on whether the picture moves.
 */

export interface RealBenchFigures {
  clipSec: number;
  sceneSec: number;
  analysisSec: number;
  detectSec: number;
  totalSec: number;
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
    const rt = await sharedRuntime({});
    opts.log(`bench real: ${seconds} s clip of real footage`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sniffScene(clip, { info, cacheRoot });
    const t1 = performance.now();
    const a = await analyzeMedia(clip, { runtime: rt, info, cacheRoot });
    await a.cache.close();
    const t2 = performance.now();
    await detectMedia(clip, { info, cacheRoot });
    const t3 = performance.now();
    const totalSec = (t3 - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      clipSec: info.durationSec,
      sceneSec: (t1 - t0) / 1000,
      analysisSec: (t2 - t1) / 1000,
      detectSec: (t3 - t2) / 1000,
      totalSec,
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
    `| analysis of real footage with the detectors on (look at the picture + appearance analysis + faces, people, hands, speech), ${f1(r.clipSec)} s clip | ${f1(r.xRealTime)}x real time (${f1(r.totalSec)} s: look ${f1(r.sceneSec)} s, analysis ${f1(r.analysisSec)} s, detectors ${f1(r.detectSec)} s) on ${r.cores} cores, load average ${f1(r.loadAverage)} at the end; ${f1(r.cpuSec)} s of CPU in this process (${f1(r.clipSec / r.cpuSec)}x real time per core busy) | >= 2x |`,
  ].join('\n');
}
