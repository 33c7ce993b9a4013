/**
 * What a picture detector finds in one frame, in a form every front end shares. Boxes are
 * normalised to 0..1 of the original frame from its top-left: [x0, y0, x1, y1].
 */

export type ObjectKind = 'face' | 'person' | 'hand';

export interface DetectedObject {
  kind: ObjectKind;
  box: [number, number, number, number];
  score: number;
  /** Faces: mouth opening, the inner-lip gap over the mouth's width (0 closed, about 0.5 wide open). */
  mouth?: number;
}

/** One frame as packed RGB24, row-major, top-left first. */
export interface RgbFrame {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export interface Detector {
  /** Name and version of the detector and its weights: part of the cache key. */
  readonly id: string;
  readonly kinds: readonly ObjectKind[];
  /**
   * `full` false: only what must be followed frame by frame (faces and mouths); the rest may be
   * skipped. `hands` (default: as `full`) false: no hands either, even on a full frame. `independent` (default true): the frame is taken on its own, nothing carried over
   * from the previous one. false: it is the next frame of a video after the previous call, and
   * what was found there may be followed instead of searched for again (cheaper); the findings
   * then depend only on the frames since the last independent one.
   */
  detect(frame: RgbFrame, opts?: { full?: boolean; hands?: boolean; independent?: boolean }): Promise<DetectedObject[]>;
  dispose(): Promise<void>;
}
