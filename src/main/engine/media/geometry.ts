/**
 * How an original frame is fitted into a model frame, and the mapping of points between them.
 *
 * Coordinates are continuous pixels: (0, 0) is the top-left corner of the top-left pixel and
 * (width, height) the bottom-right corner of the bottom-right one (pixel i covers [i, i+1)).
 * The original frame is measured in display pixels (sample aspect applied to the width).
 *
 *   model = (offsetX + scaleX * x, offsetY + scaleY * y)
 *   - letterbox: one scale that fits the whole frame, black bars (offset >= 0)
 *   - crop:      one scale that fills the model frame, edges cut off (offset <= 0)
 *   - stretch:   independent scales, no bars, no cut
 */

export type Fit = 'letterbox' | 'crop' | 'stretch';

export interface FrameGeometry {
  fit: Fit;
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  /** Size of the whole original frame once scaled, in model pixels (integers, what ffmpeg scales to). */
  scaledWidth: number;
  scaledHeight: number;
  scaleX: number;
  scaleY: number;
  /** Position of the scaled frame's top-left corner in the model frame (negative when cropped). */
  offsetX: number;
  offsetY: number;
}

export interface Point {
  x: number;
  y: number;
}

export function frameGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, fit: Fit = 'letterbox'): FrameGeometry {
  for (const [k, v] of Object.entries({ srcWidth, srcHeight, dstWidth, dstHeight })) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${k} must be > 0, got ${v}`);
  }
  if (!Number.isInteger(dstWidth) || !Number.isInteger(dstHeight)) throw new RangeError('model frame size must be whole pixels');
  let scaledWidth: number, scaledHeight: number;
  if (fit === 'stretch') {
    scaledWidth = dstWidth;
    scaledHeight = dstHeight;
  } else {
    const s = fit === 'letterbox' ? Math.min(dstWidth / srcWidth, dstHeight / srcHeight) : Math.max(dstWidth / srcWidth, dstHeight / srcHeight);
    // The side that decides the scale matches exactly; the other is rounded to whole pixels.
    scaledWidth = Math.max(1, Math.round(srcWidth * s));
    scaledHeight = Math.max(1, Math.round(srcHeight * s));
    if (fit === 'letterbox') {
      scaledWidth = Math.min(scaledWidth, dstWidth);
      scaledHeight = Math.min(scaledHeight, dstHeight);
    } else {
      scaledWidth = Math.max(scaledWidth, dstWidth);
      scaledHeight = Math.max(scaledHeight, dstHeight);
    }
  }
  return {
    fit,
    srcWidth,
    srcHeight,
    dstWidth,
    dstHeight,
    scaledWidth,
    scaledHeight,
    scaleX: scaledWidth / srcWidth,
    scaleY: scaledHeight / srcHeight,
    offsetX: Math.trunc((dstWidth - scaledWidth) / 2),
    offsetY: Math.trunc((dstHeight - scaledHeight) / 2),
  };
}

/** Original-frame point -> model-frame point. */
export function toModel(g: FrameGeometry, p: Point): Point {
  return { x: g.offsetX + g.scaleX * p.x, y: g.offsetY + g.scaleY * p.y };
}

/** Model-frame point -> original-frame point (may fall outside the frame when on a letterbox bar). */
export function toOriginal(g: FrameGeometry, p: Point): Point {
  return { x: (p.x - g.offsetX) / g.scaleX, y: (p.y - g.offsetY) / g.scaleY };
}

/** Whether a model-frame point shows part of the original frame (not a bar). */
export function insideOriginal(g: FrameGeometry, p: Point): boolean {
  const o = toOriginal(g, p);
  return o.x >= 0 && o.y >= 0 && o.x <= g.srcWidth && o.y <= g.srcHeight;
}

/** Normalised original coordinates (0..1 from top-left, as the CLI's --source X,Y) -> model pixels. */
export function normalizedToModel(g: FrameGeometry, p: Point): Point {
  return toModel(g, { x: p.x * g.srcWidth, y: p.y * g.srcHeight });
}

/** Model pixels -> normalised original coordinates (0..1). */
export function modelToNormalized(g: FrameGeometry, p: Point): Point {
  const o = toOriginal(g, p);
  return { x: o.x / g.srcWidth, y: o.y / g.srcHeight };
}
