import { describe, expect, it } from 'vitest';
import { faceTrackAt, speakingHeat, speakingOver } from '../../../src/main/engine/detect/activity';
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
