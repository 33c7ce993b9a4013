import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decideScene, sceneSettled, sniffScene, SCENE_FACE_SCORE, SCENE_FRAMES, SCENE_PERSON_SCORE } from '../../../src/main/engine/detect/scene';
import type { DetectedObject } from '../../../src/main/engine/detect/types';
import { makeStillClip, makeTalkingClip, materialAvailable } from '../../fixtures/real/make-clips';

const face = (score: number, mouth: number | null = 0.1): DetectedObject => ({ kind: 'face', box: [0.4, 0.2, 0.6, 0.5], score, ...(mouth === null ? {} : { mouth }) });
const person = (score: number): DetectedObject => ({ kind: 'person', box: [0.3, 0.1, 0.7, 0.9], score });

describe('world or real: the rule', () => {
  it('takes a clip for real footage when people are seen in at least a third of the frames looked at', () => {
    expect(decideScene([[face(0.95)], [face(0.9)], [], [], [], []]).kind).toBe('real');
    expect(decideScene([[person(SCENE_PERSON_SCORE)], [], [], [], [], []]).kind).toBe('synthetic');
    expect(decideScene([[person(SCENE_PERSON_SCORE)], [person(0.85)], [], [], [], []])).toMatchObject({ kind: 'real', frames: 6, framesWithPeople: 2, bestPerson: 0.85 });
    // The best pose MoveNet found in a world clip's sprites.
    expect(decideScene([[person(0.6)], [person(0.6)], [person(0.6)], [person(0.6)], [], []]).kind).toBe('synthetic');
  });

  it('does not count a weak face, a face the mesh did not fit, or a weak pose', () => {
    const weak = [[face(SCENE_FACE_SCORE - 0.01)], [face(0.99, null)], [person(SCENE_PERSON_SCORE - 0.01)], [], [], []];
    expect(decideScene(weak)).toMatchObject({ kind: 'synthetic', framesWithPeople: 0, bestFace: 0.99 });
  });

  it('stops looking once the kind is settled, and decides as the whole look would', () => {
    // Every pattern of frames with and without people, looked at in order until settled.
    for (let bits = 0; bits < 2 ** SCENE_FRAMES; bits++) {
      const all = Array.from({ length: SCENE_FRAMES }, (_, k) => (bits & (1 << k) ? [face(0.95)] : [person(0.5)]));
      const looked: DetectedObject[][] = [];
      for (const f of all) {
        if (sceneSettled(looked, SCENE_FRAMES)) break;
        looked.push(f);
      }
      expect(decideScene(looked, SCENE_FRAMES).kind, `frames with people: ${bits.toString(2)}`).toBe(decideScene(all).kind);
    }
    // Real footage showing people from the start is settled after two frames, a world clip after five.
    expect(sceneSettled([[face(0.95)], [face(0.9)]], SCENE_FRAMES)).toBe(true);
    expect(sceneSettled([[face(0.95)]], SCENE_FRAMES)).toBe(false);
    expect(sceneSettled([[], [], [], []], SCENE_FRAMES)).toBe(false);
    expect(sceneSettled([[], [], [], [], []], SCENE_FRAMES)).toBe(true);
  });

  it('calls an empty look synthetic (nothing to click on as a person)', () => {
    expect(decideScene([]).kind).toBe('synthetic');
    expect(decideScene([[], [], []]).kind).toBe('synthetic');
  });
});

const DEMO = path.resolve('resources/demo/demo.mp4');
const have = materialAvailable();
if (!have && process.env.CI) throw new Error('real test material is missing: run test/fixtures/real/fetch-material.sh');

describe.skipIf(!have)('world or real: on clips', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-scene-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes real photographs of people for real footage', async () => {
    const talking = makeTalkingClip(path.join(dir, 'talking.mp4'));
    const still = makeStillClip(path.join(dir, 'still.mp4'));
    for (const file of [talking.file, still]) {
      let sightings = 0;
      const v = await sniffScene(file, { cacheRoot: dir, onPeopleSeen: () => sightings++ });
      expect(v.kind, `${path.basename(file)}: ${JSON.stringify(v)}`).toBe('real');
      // People in every frame: settled after two of the six, the detection told at the first.
      expect(v).toMatchObject({ frames: 2, framesWithPeople: 2 });
      expect(sightings).toBe(1);
    }
  }, 300_000);

  it('takes the demo (emoji sprites, a speaker among them) for the synthetic world, and caches the look', async () => {
    const v = await sniffScene(DEMO, { cacheRoot: dir });
    expect(v.kind, JSON.stringify(v)).toBe('synthetic');
    expect(readdirSync(path.join(dir, 'detections')).filter((f) => f.includes('-scene-'))).toHaveLength(3);
    expect(await sniffScene(DEMO, { cacheRoot: dir })).toEqual(v);
  }, 300_000);
});
