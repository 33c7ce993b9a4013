/** Turns a spectrogram image from main (levels 0..255, top row highest) into a coloured canvas. */
import type { SpectrogramImage } from '../../../shared/contract';

/** Dark blue through purple and orange to pale yellow, like the maps audio editors use. */
const STOPS: [number, [number, number, number]][] = [
  [0, [8, 9, 20]],
  [0.35, [70, 24, 110]],
  [0.6, [190, 55, 82]],
  [0.8, [250, 140, 40]],
  [1, [252, 250, 190]],
];

function colourMap(): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    const i = Math.max(1, STOPS.findIndex(([at]) => at >= x));
    const [a, ca] = STOPS[i - 1];
    const [b, cb] = STOPS[i];
    const t = (x - a) / (b - a || 1);
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = ca[c] + (cb[c] - ca[c]) * t;
  }
  return lut;
}

const LUT = colourMap();

export function paintSpectrogram(img: SpectrogramImage): HTMLCanvasElement {
  const bytes = Uint8Array.from(atob(img.data), (ch) => ch.charCodeAt(0));
  const canvas = document.createElement('canvas');
  canvas.width = img.columns;
  canvas.height = img.rows;
  const g = canvas.getContext('2d')!;
  const out = g.createImageData(img.columns, img.rows);
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i];
    out.data[4 * i] = LUT[3 * v];
    out.data[4 * i + 1] = LUT[3 * v + 1];
    out.data[4 * i + 2] = LUT[3 * v + 2];
    out.data[4 * i + 3] = 255;
  }
  g.putImageData(out, 0, 0);
  return canvas;
}
