import { describe, expect, it } from 'vitest';
import { faceTrackAt, speakingHeat, speakingOver, trackAt } from '../../../src/main/engine/detect/activity';
import type { DetectionFrame } from '../../../src/main/engine/detect/speaking';

const face = (track: number, box: [number, number, number, number], speaking: number) => ({ kind: 'face' as const, track, box, score: 1, speaking });
const frames: DetectionFrame[] = [
  { time: 0, objects: [face(1, [0.1, 0.1, 0.3, 0.4], 0), face(2, [0.6, 0.1, 0.8, 0.4], 0.2)] },
  { time: 0.25, objects: [face(1, [0.1, 0.1, 0.3, 0.4], 0.8), face(2, [0.6, 0.1, 0.8, 0.4], 0)] },
  { time: 0.5, objects: [face(1, [0.1, 0.1, 0.3, 0.4], 0.4)] },
  { time: 3, objects: [face(1, [0.1, 0.1, 0.3, 0.4], 1)] },
];

describe("a speaker source's activity from its face", () => {
  it('finds the face under the click at the click time', () => {
    expect(faceTrackAt(frames, 0.2, 0.2, 0.3)).toBe(1);
    expect(faceTrackAt(frames, 0.7, 0.2, 0.1)).toBe(2);
    expect(faceTrackAt(frames, 0.7, 0.2, 0.5)).toBeNull(); // face 2 is not seen then
    expect(faceTrackAt([], 0.2, 0.2, 0)).toBeNull();
  });

  it("follows the face's speaking between sightings, and is 0 where the face is not seen", () => {
    expect(speakingOver(frames, 1, [0.125, 0.375, 0.9, 1.75, 2.9, 3.2, 4])).toEqual([0.4, 0.6, 0.4, 0, 1, 1, 0]);
  });
});

describe('where sound comes from on real footage', () => {
  it("is each face's box at how much it speaks, over a grid of the whole frame", () => {
    // 10 x 10 cells: face 1 covers columns 1-2 and rows 1-3, face 2 columns 6-7 and rows 1-3.
    const at = (h: Float32Array, r: number, c: number) => h[r * 10 + c];
    const h = speakingHeat(frames, 0.25, 10, 10);
    expect(at(h, 2, 2)).toBeCloseTo(0.8);
    expect(at(h, 2, 7)).toBe(0); // face 2 is silent then
    expect(at(h, 6, 2)).toBe(0); // below the face
    expect(Math.max(...h)).toBeCloseTo(0.8);
    expect(at(speakingHeat(frames, 0, 10, 10), 2, 7)).toBeCloseTo(0.2);
    // Far from any sighting, nothing is shown.
    expect(Math.max(...speakingHeat(frames, 1.75, 10, 10))).toBe(0);
    expect(Math.max(...speakingHeat([], 0, 4, 4))).toBe(0);
  });
});

const person = (track: number, box: [number, number, number, number]) => ({ kind: 'person' as const, track, box, score: 1 });
// People are looked for once a second; faces in between.
const people: DetectionFrame[] = [
  { time: 0, objects: [person(5, [0, 0, 0.5, 1]), person(6, [0.5, 0, 1, 1])] },
  { time: 0.25, objects: [face(1, [0.1, 0.1, 0.3, 0.4], 0)] },
  { time: 1, objects: [person(5, [0, 0, 0.5, 1]), person(6, [0.5, 0, 1, 1])] },
  { time: 2, objects: [person(5, [0, 0, 0.5, 1]), person(6, [0.5, 0, 1, 1])] },
];

describe('the object under a click, of one kind', () => {
  it('finds the person under the click in the nearest frame that looked for people, not too far away', () => {
    expect(trackAt(people, 'person', 0.2, 0.5, 0.3)).toBe(5);
    expect(trackAt(people, 'person', 0.7, 0.5, 0.9)).toBe(6);
    expect(trackAt(people, 'person', 0.7, 0.5, 4)).toBeNull(); // 2 s from the last sighting
    expect(trackAt(people, 'face', 0.7, 0.5, 0.25)).toBeNull(); // no face there
  });
});
