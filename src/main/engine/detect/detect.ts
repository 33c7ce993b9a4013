import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Cancelled } from '../../../shared/errors';
import { defaultCacheRoot } from '../analysis/cache';
import { writeFileAtomic } from '../fs/atomic';
import { MediaError } from '../media/errors';
import { probeMedia, requireVideo, type MediaInfo } from '../media/probe';
import { fingerprintFile } from '../project/fingerprint';
import type { MediaFingerprint } from '../project/types';
import { defaultDetectWorkers, runSegments } from './pool';
import { detectorModule, DEFAULT_DETECTOR } from './registry';
import { planSegments } from './segments';
import { addSpeaking, type DetectionFrame } from './speaking';
import { speechActivity } from './speech';
import { IouTracker } from './track';
import type { DetectedObject } from './types';

/**
 * The real-picture front end: faces (with mouth opening), people and hands in frames sampled at a
 * few per second, followed over time, and each face's agreement with the speech in the audio.
 * Cached per media (content fingerprint) and detector, like the other analyses.
 */

/**
 * Bump when the stored detections change (2: faces followed by their meshes between detector runs;
 * 3: nothing but faces carried from frame to frame, the clip detected in segments; 4: hands on
 * every other full frame).
 */
export const DETECT_FORMAT = 4;

/** Longest segment of a clip the detector workers take at a time, seconds. */
const SEGMENT_MAX_SEC = 60;

export interface DetectOptions {
  detector?: string;
  /** Frames per second analysed for faces and mouths (default 4). */
  fps?: number;
  /** Frames per second analysed for people (default 1; at most fps): a full frame costs several faces. */
  bodyFps?: number;
  /** Frames per second analysed for hands (default 0.5; at most bodyFps, rounded to every n-th of its frames). */
  handFps?: number;
  /** Longest side of the frames the detector sees (default 640). */
  maxSide?: number;
  /** Detector worker threads (default defaultDetectWorkers(); 0: this thread). The findings do not depend on it. */
  workers?: number;
  /** Frames per segment of the clip (default: enough segments to keep the workers busy). The findings do not depend on it. */
  segmentFrames?: number;
  /** Root of the analysis caches (default the user's cache folder); detections go in detections/. */
  cacheRoot?: string;
  info?: MediaInfo;
  fingerprint?: MediaFingerprint;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

export interface Detections {
  format: number;
  detector: string;
  fps: number;
  media: { quickHash: string; size: number; durationSec: number };
  frames: DetectionFrame[];
  /** Speech probability per 1/rate seconds; null for media without audio. */
  speech: { rate: number; probs: number[] } | null;
  seconds: number;
  createdAt: string;
}

export interface DetectOutcome {
  detections: Detections;
  cached: boolean;
  /** The cache file. */
  path: string;
}

export function detectionsCachePath(root: string, fp: MediaFingerprint, key: string): string {
  return path.join(root, 'detections', `${fp.quickHash.slice(0, 24)}-${fp.size}-${key}.json`);
}

async function readCache(file: string, fp: MediaFingerprint): Promise<Detections | null> {
  try {
    const d = JSON.parse(await fsp.readFile(file, 'utf8')) as Detections;
    return d.format === DETECT_FORMAT && d.media.quickHash === fp.quickHash && Array.isArray(d.frames) ? d : null;
  } catch {
    return null;
  }
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Cancelled();
}

/** The frame size the detector sees: the picture's shape (square pixels), longest side at most maxSide. */
export function detectorFrameSize(info: MediaInfo & { video: object }, maxSide = 640): { width: number; height: number } {
  const v = info.video;
  const srcW = v.width * v.sampleAspect, srcH = v.height;
  const scale = Math.min(1, maxSide / Math.max(srcW, srcH));
  return { width: Math.max(2, Math.round(srcW * scale)), height: Math.max(2, Math.round(srcH * scale)) };
}

export async function detectMedia(file: string, opts: DetectOptions = {}): Promise<DetectOutcome> {
  const t0 = performance.now();
  const { signal } = opts;
  const fps = opts.fps ?? 4;
  const bodyFps = Math.min(fps, opts.bodyFps ?? 1);
  const handFps = Math.min(bodyFps, opts.handFps ?? 0.5);
  const maxSide = opts.maxSide ?? 640;
  if (!(fps > 0 && fps <= 30)) throw new MediaError('BAD_ARGUMENT', `detection fps must be in (0, 30], got ${fps}`);
  if (!(bodyFps > 0)) throw new MediaError('BAD_ARGUMENT', `body fps must be > 0, got ${bodyFps}`);
  if (!(handFps > 0)) throw new MediaError('BAD_ARGUMENT', `hand fps must be > 0, got ${handFps}`);
  const info = opts.info ?? (await probeMedia(file, { signal }));
  requireVideo(info);
  const fp = opts.fingerprint ?? (await fingerprintFile(file));
  const detectorName = opts.detector ?? DEFAULT_DETECTOR;
  const mod = await detectorModule(detectorName);
  const key = createHash('sha256')
    .update(JSON.stringify({ format: DETECT_FORMAT, detector: mod.detectorId(), fps, bodyFps, handFps, maxSide }))
    .digest('hex')
    .slice(0, 16);
  const cachePath = detectionsCachePath(opts.cacheRoot ?? defaultCacheRoot(), fp, key);
  const hit = await readCache(cachePath, fp);
  if (hit) {
    opts.onProgress?.('detecting', 1);
    return { detections: hit, cached: true, path: cachePath };
  }

  opts.onProgress?.('detecting', 0);
  const { width, height } = detectorFrameSize(info, maxSide);
  const fullEvery = Math.max(1, Math.round(fps / bodyFps));
  const handEvery = fullEvery * Math.max(1, Math.round(bodyFps / handFps));
  const expected = Math.max(1, Math.round(info.durationSec * fps));
  const workers = opts.workers ?? defaultDetectWorkers();
  // As many segments as workers (each one seeks, decoding from the key frame before it), or a
  // multiple of that on long clips, so that a worker slowed by other work holds up the end by at
  // most one segment of about a minute.
  const rounds = Math.ceil(expected / (Math.max(1, workers) * SEGMENT_MAX_SEC * fps));
  const target = Math.ceil(expected / (Math.max(1, workers) * rounds));
  const segments = planSegments(expected, fullEvery, opts.segmentFrames ?? target).map((s) => ({ ...s, file, info, width, height, fps, fullEvery, handEvery }));
  let done = 0;
  // The speech is heard while the picture is looked at (the detectors run in other threads).
  const [found, speech] = await Promise.all([
    runSegments(detectorName, segments, {
      workers,
      signal,
      onFrame: () => opts.onProgress?.('detecting', 0.95 * Math.min(1, ++done / expected)),
    }),
    info.audio ? speechActivity(file, { info, signal }) : null,
  ]);
  cancelled(signal);
  // People and hands are looked for less often, so their tracks may wait longer for the next sighting.
  const gap = (rate: number) => Math.max(1.5, 2.5 / rate);
  const tracker = new IouTracker({ maxGapSec: { face: 1.5, person: gap(bodyFps), hand: gap(handFps) } });
  const frames: DetectionFrame[] = found.map((f) => ({ time: f.time, objects: tracker.update(f.time, f.objects) }));
  if (speech) addSpeaking(frames, speech);
  const detections: Detections = {
    format: DETECT_FORMAT,
    detector: mod.detectorId(),
    fps,
    media: { quickHash: fp.quickHash, size: fp.size, durationSec: info.durationSec },
    frames,
    speech: speech && { rate: speech.rate, probs: Array.from(speech.probs, (p) => Math.round(p * 1000) / 1000) },
    seconds: (performance.now() - t0) / 1000,
    createdAt: new Date().toISOString(),
  };
  await fsp.mkdir(path.dirname(cachePath), { recursive: true });
  await writeFileAtomic(cachePath, JSON.stringify(detections));
  opts.onProgress?.('detecting', 1);
  return { detections, cached: false, path: cachePath };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The public detections.json: {"frames":[{"time","objects":[{kind, track, box, score, mouth?, speaking?}]}]}. */
export function detectionsJson(d: Detections): { frames: DetectionFrame[] } {
  return {
    frames: d.frames.map((f) => ({
      time: round(f.time, 6),
      objects: f.objects.map((o) => ({
        kind: o.kind,
        track: o.track,
        box: o.box.map((v) => round(v, 4)) as DetectedObject['box'],
        score: round(o.score, 4),
        ...(o.mouth === undefined ? {} : { mouth: round(o.mouth, 4) }),
        ...(o.speaking === undefined ? {} : { speaking: round(o.speaking, 4) }),
      })),
    })),
  };
}

export interface ObjectTrack {
  track: number;
  kind: DetectedObject['kind'];
  times: number[];
  boxes: DetectedObject['box'][];
  /** Faces: speaking at each sighting; null for people and hands. */
  speaking: number[] | null;
}

/** The detections per object followed over time (what the video overlay draws), in time order. */
export function detectionTracks(d: Pick<Detections, 'fps' | 'frames'>): { fps: number; tracks: ObjectTrack[] } {
  const byTrack = new Map<number, ObjectTrack>();
  for (const f of d.frames) {
    for (const o of f.objects) {
      let t = byTrack.get(o.track);
      if (!t) byTrack.set(o.track, (t = { track: o.track, kind: o.kind, times: [], boxes: [], speaking: o.kind === 'face' ? [] : null }));
      t.times.push(round(f.time, 3));
      t.boxes.push(o.box.map((v) => round(v, 4)) as DetectedObject['box']);
      t.speaking?.push(round(o.speaking ?? 0, 3));
    }
  }
  return { fps: d.fps, tracks: [...byTrack.values()] };
}

/** A detections cache file as written by detectMedia; null when it is missing or not of this format. */
export async function readDetections(file: string): Promise<Detections | null> {
  try {
    const d = JSON.parse(await fsp.readFile(file, 'utf8')) as Detections;
    return d.format === DETECT_FORMAT && Array.isArray(d.frames) ? d : null;
  } catch {
    return null;
  }
}
