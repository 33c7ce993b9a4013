import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { defaultCacheRoot } from '../analysis/cache';
import { writeFileAtomic } from '../fs/atomic';
import { probeMedia, requireVideo, type MediaInfo } from '../media/probe';
import { fingerprintFile } from '../project/fingerprint';
import type { MediaFingerprint } from '../project/types';
import { detectorFrameSize } from './detect';
import { runSegments } from './pool';
import { detectorModule, DEFAULT_DETECTOR } from './registry';
import type { DetectedObject } from './types';

/**
 * World or real: is a clip's picture the synthetic world (emoji sprites over a background), where
 * the appearance network knows what it sees, or real footage, where the people detectors take
 * over? Decided from what the picture detector finds in a few frames spread over the clip: real
 * footage shows people (a face the mesh fits, or a body pose), sprites almost never pass as one.
 * Measured on 11 world clips (10 generated scenes and the demo, its emoji speaker included) and 3
 * clips of real photographs: no world clip had a face above 0, every real one had faces at 1.0 in
 * all 6 frames looked at (docs/models.md).
 */

export type SceneKind = 'synthetic' | 'real';

export interface SceneVerdict {
  kind: SceneKind;
  /** Frames looked at (the look stops once the kind is settled), and those in which people were seen. */
  frames: number;
  framesWithPeople: number;
  /** Best face and person scores over the frames (0 when none). */
  bestFace: number;
  bestPerson: number;
}

/** Frames looked at, spread evenly over the clip. */
export const SCENE_FRAMES = 6;
/** The rate at which the frames looked at are numbered (where in the clip the decoder seeks to). */
const LOOK_FPS = 8;
/** A face counts when the detector is this sure and the mesh fitted it (a mouth was measured). */
export const SCENE_FACE_SCORE = 0.8;
/**
 * A body pose counts at this score (MoveNet's mean keypoint confidence). MoveNet finds "poses" in
 * sprites too: up to 0.6 on world clips, against 0.7-0.8 for the people in real photographs, so a
 * pose alone must be clearly better than the world's best; faces carry most real clips.
 */
export const SCENE_PERSON_SCORE = 0.75;
/** Real when people are seen in at least this share of the frames looked at. */
export const SCENE_SHARE = 1 / 3;

/** Bump when the rule or what is stored changes. */
const SCENE_FORMAT = 1;

function showsPeople(objects: DetectedObject[]): boolean {
  return objects.some((o) => (o.kind === 'face' && o.score >= SCENE_FACE_SCORE && o.mouth !== undefined) || (o.kind === 'person' && o.score >= SCENE_PERSON_SCORE));
}

/** Frames with people needed out of `planned` looked at for real footage. */
const framesNeeded = (planned: number) => Math.max(1, Math.ceil(SCENE_SHARE * planned));

/**
 * The rule, on the detector's findings in each frame looked at, of `planned` frames to look at (by
 * default those given). Looking may stop once the rest cannot change the kind (sceneSettled).
 */
export function decideScene(frames: DetectedObject[][], planned = frames.length): SceneVerdict {
  const withPeople = frames.filter(showsPeople).length;
  const best = (kind: DetectedObject['kind']) => frames.flat().reduce((m, o) => (o.kind === kind ? Math.max(m, o.score) : m), 0);
  return {
    kind: frames.length > 0 && withPeople >= framesNeeded(planned) ? 'real' : 'synthetic',
    frames: frames.length,
    framesWithPeople: withPeople,
    bestFace: best('face'),
    bestPerson: best('person'),
  };
}

/** True when the frames looked at decide the kind whatever the other `planned - frames.length` show. */
export function sceneSettled(frames: DetectedObject[][], planned: number): boolean {
  const withPeople = frames.filter(showsPeople).length;
  return withPeople >= framesNeeded(planned) || withPeople + (planned - frames.length) < framesNeeded(planned);
}

export interface SceneOptions {
  detector?: string;
  cacheRoot?: string;
  info?: MediaInfo;
  fingerprint?: MediaFingerprint;
  signal?: AbortSignal;
  /** Detector worker threads (default 1; 0: this thread). */
  workers?: number;
  /** Called once, when a frame looked at first shows people (a detection is then likely to follow). */
  onPeopleSeen?: () => void;
}

/** Looks at up to SCENE_FRAMES frames of the clip (cached per media and detector). */
export async function sniffScene(file: string, opts: SceneOptions = {}): Promise<SceneVerdict> {
  const { signal } = opts;
  const info = opts.info ?? (await probeMedia(file, { signal }));
  requireVideo(info);
  const fp = opts.fingerprint ?? (await fingerprintFile(file));
  const detectorName = opts.detector ?? DEFAULT_DETECTOR;
  const mod = await detectorModule(detectorName);
  const key = createHash('sha256').update(JSON.stringify({ format: SCENE_FORMAT, detector: mod.detectorId(), frames: SCENE_FRAMES })).digest('hex').slice(0, 16);
  const cachePath = path.join(opts.cacheRoot ?? defaultCacheRoot(), 'detections', `${fp.quickHash.slice(0, 24)}-${fp.size}-scene-${key}.json`);
  try {
    const hit = JSON.parse(await fsp.readFile(cachePath, 'utf8')) as { quickHash: string; verdict: SceneVerdict };
    if (hit.quickHash === fp.quickHash) return hit.verdict;
  } catch {
    // not looked at yet
  }
  const { width, height } = detectorFrameSize(info);
  // One frame in the middle of each of SCENE_FRAMES equal parts of the clip, each on its own (the
  // decoder seeks to it): numbered at LOOK_FPS. In time order, until the kind is settled (on real
  // footage often after two frames, which saves the detector seconds of the look).
  const segments = Array.from({ length: SCENE_FRAMES }, (_, k) => ({
    file, info, width, height,
    fps: LOOK_FPS,
    first: Math.floor(((k + 0.5) / SCENE_FRAMES) * info.durationSec * LOOK_FPS),
    count: 1,
    fullEvery: 1,
    independent: true,
  }));
  // One worker: a synthetic clip needs no more (each worker loads its own detector, about 250 MB
  // and 2 s of CPU), and on real footage the detection that follows reuses it, warm.
  const found: DetectedObject[][] = [];
  // Frames to look at: one the decoder does not deliver (past the end of a short clip) is left out.
  let planned = SCENE_FRAMES;
  for (const segment of segments) {
    if (sceneSettled(found, planned)) break;
    const [frame] = await runSegments(detectorName, [segment], { workers: opts.workers ?? 1, signal });
    if (!frame) {
      planned--;
      continue;
    }
    const firstSighting = showsPeople(frame.objects) && !found.some(showsPeople);
    found.push(frame.objects);
    if (firstSighting) opts.onPeopleSeen?.();
  }
  const verdict = decideScene(found, planned);
  await fsp.mkdir(path.dirname(cachePath), { recursive: true });
  await writeFileAtomic(cachePath, JSON.stringify({ quickHash: fp.quickHash, verdict }));
  return verdict;
}
