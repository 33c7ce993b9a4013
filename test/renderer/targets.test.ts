import { describe, expect, it } from 'vitest';
import { boxAt, boxOnScreen, displayedRect, targetAt, targetsAt, trackPath, type Box } from '../../src/renderer/src/lib/targets';
import type { DetectionsView } from '../../src/shared/contract';

describe('click targets on the letterboxed video', () => {
  it('places a box of the original frame on a pillarboxed and on a letterboxed picture', () => {
    // A 4:3 video in a 1000x500 pane: 666.7 px wide, bars of 166.7 px left and right.
    const wide = displayedRect(1000, 500, 640, 480)!;
    expect(wide.left).toBeCloseTo(500 / 3, 6);
    expect(wide.top).toBeCloseTo(0, 9);
    const face: Box = [0.25, 0.5, 0.75, 1];
    const onWide = boxOnScreen(face, wide);
    expect(onWide.left).toBeCloseTo(500 / 3 + 0.25 * (2000 / 3), 6);
    expect(onWide.top).toBeCloseTo(250, 6);
    expect(onWide.width).toBeCloseTo(0.5 * (2000 / 3), 6);
    expect(onWide.height).toBeCloseTo(250, 6);
    // A 16:9 video in a 400x400 pane: 225 px tall, bars of 87.5 px above and below.
    const tall = displayedRect(400, 400, 1920, 1080)!;
    expect(tall).toEqual({ left: 0, top: 87.5, width: 400, height: 225 });
    expect(boxOnScreen([0, 0, 1, 1], tall)).toEqual(tall);
    expect(boxOnScreen([0.5, 0.5, 0.5, 0.5], tall)).toEqual({ left: 200, top: 87.5 + 112.5, width: 0, height: 0 });
    expect(displayedRect(0, 400, 1920, 1080)).toBeNull();
  });
});

const d: DetectionsView = {
  fps: 4,
  tracks: [
    { track: 1, kind: 'face', times: [0, 0.25, 0.5, 0.75], boxes: [[0.4, 0.1, 0.5, 0.3], [0.42, 0.1, 0.52, 0.3], [0.44, 0.1, 0.54, 0.3], [0.46, 0.1, 0.56, 0.3]], speaking: [0, 0.2, 0.4, 0.6] },
    { track: 2, kind: 'person', times: [0, 1, 2], boxes: [[0.3, 0.05, 0.7, 0.95], [0.3, 0.05, 0.7, 0.95], [0.3, 0.05, 0.7, 0.95]], speaking: null },
    { track: 3, kind: 'hand', times: [0], boxes: [[0.1, 0.6, 0.2, 0.7]], speaking: null },
    // Seen, then not for 3 s, then again.
    { track: 4, kind: 'face', times: [0, 0.25, 3.25, 3.5], boxes: [[0.1, 0.1, 0.2, 0.2], [0.1, 0.1, 0.2, 0.2], [0.8, 0.1, 0.9, 0.2], [0.8, 0.1, 0.9, 0.2]], speaking: [0, 0, 1, 1] },
  ],
};

describe('targets over time', () => {
  it('moves a box linearly between sightings, with its speaking', () => {
    const at = boxAt(d.tracks[0], 0.375, d.fps)!;
    expect(at.box.map((v) => +v.toFixed(6))).toEqual([0.43, 0.1, 0.53, 0.3]);
    expect(at.speaking).toBeCloseTo(0.3, 6);
  });

  it('shows a track only while it is seen: half a gap past its ends, not across a long absence', () => {
    expect(boxAt(d.tracks[0], 0.75 + 0.12, d.fps)).not.toBeNull();
    expect(boxAt(d.tracks[0], 0.75 + 0.2, d.fps)).toBeNull();
    expect(boxAt(d.tracks[3], 1.5, d.fps)).toBeNull();
    expect(boxAt(d.tracks[3], 3.3, d.fps)!.box).toEqual([0.8, 0.1, 0.9, 0.2]);
    // People are sighted once a second: between two sightings they stay.
    expect(boxAt(d.tracks[1], 1.6, d.fps)).not.toBeNull();
  });

  it('offers faces and people as targets, not hands, and a face before the person around it', () => {
    const now = targetsAt(d, 0.5);
    expect(now.map((t) => t.track).sort()).toEqual([1, 2]);
    expect(targetAt(now, 0.5, 0.2)?.track).toBe(1);
    expect(targetAt(now, 0.5, 0.8)?.track).toBe(2);
    expect(targetAt(now, 0.9, 0.9)).toBeNull();
    expect(targetsAt(null, 0)).toEqual([]);
  });

  it('draws a track as the path of its box centres', () => {
    expect(trackPath(d.tracks[0])).toBe('45.00,20.00 47.00,20.00 49.00,20.00 51.00,20.00');
  });
});
