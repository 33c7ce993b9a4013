/**
 * Spectrogram images for the editor's tracks: log-frequency rows, one column per screen pixel
 * (at most MAX_COLUMNS), computed from the track's WAV by random access, so the cost follows the
 * image's size, not the file's length (a 2-hour track costs what a 10-second one does).
 */
import { nextPowerOfTwo } from '../dsp/fft';
import { hannWindow, planFor } from '../dsp/stft';
import { WavRangeReader } from './wav';

export const MAX_COLUMNS = 4096;
export const MAX_ROWS = 512;

export interface SpectrogramRequest {
  /** Seconds into the file; before 0 or past the end is silence. */
  fromSec: number;
  spanSec: number;
  columns: number;
  rows: number;
  /** Lowest frequency shown (the bottom row); the top row ends at half the sample rate. */
  minHz?: number;
  /** Level shown as 0 (black); 0 dBFS (a full-scale sine) is 255. */
  floorDb?: number;
}

export interface SpectrogramImage {
  columns: number;
  rows: number;
  minHz: number;
  maxHz: number;
  floorDb: number;
  /** rows * columns bytes, row 0 the highest frequency: 0 = floorDb or less, 255 = 0 dBFS. */
  data: Uint8Array;
}

/** About 40 ms per FFT window at any rate: fine enough in time for speech, in frequency for music. */
const WINDOW_SEC = 0.04;

export async function computeSpectrogram(file: string, req: SpectrogramRequest): Promise<SpectrogramImage> {
  const columns = Math.round(req.columns);
  const rows = Math.round(req.rows);
  if (!(columns >= 1 && columns <= MAX_COLUMNS && rows >= 2 && rows <= MAX_ROWS)) throw new RangeError(`A spectrogram is 1-${MAX_COLUMNS} columns by 2-${MAX_ROWS} rows`);
  if (!(req.spanSec > 0) || !Number.isFinite(req.fromSec)) throw new RangeError('A spectrogram needs a start time and a positive span');
  const floorDb = req.floorDb ?? -100;
  const reader = await WavRangeReader.open(file);
  try {
    const rate = reader.layout.sampleRate;
    const n = nextPowerOfTwo(Math.round(rate * WINDOW_SEC));
    const fft = planFor(n);
    const window = hannWindow(n);
    // A full-scale sine peaks at (sum of window / 2)^2 in power: that is 0 dB.
    const ref = (window.reduce((a, b) => a + b, 0) / 2) ** 2;
    const maxHz = rate / 2;
    const minHz = Math.min(req.minHz ?? 40, maxHz / 4);
    // Row r (0 = top) covers [edge[r+1], edge[r]) in bins, log-spaced from minHz to maxHz.
    const binOf = (hz: number) => (hz / rate) * n;
    const edges = Array.from({ length: rows + 1 }, (_, r) => binOf(minHz * (maxHz / minHz) ** (1 - r / rows)));

    const data = new Uint8Array(rows * columns);
    const frameStep = (req.spanSec * rate) / columns;
    const first = Math.round(req.fromSec * rate);
    // Dense columns (zoomed in): read the whole range once; sparse ones: only each column's window.
    const dense = frameStep < n;
    const range = dense ? await reader.readMono(first - n / 2, Math.ceil(req.spanSec * rate) + n) : null;
    const frame = new Float32Array(n);
    const x = new Float64Array(n);
    const spec = new Float64Array(2 * fft.bins);
    const power = new Float64Array(fft.bins);
    for (let c = 0; c < columns; c++) {
      const centre = Math.round((c + 0.5) * frameStep);
      if (range) frame.set(range.subarray(centre, centre + n));
      else await reader.readMono(first + centre - n / 2, n, frame);
      for (let i = 0; i < n; i++) x[i] = frame[i] * window[i];
      fft.forward2(x, null, spec, null);
      for (let k = 0; k < fft.bins; k++) power[k] = (spec[2 * k] ** 2 + spec[2 * k + 1] ** 2) / ref;
      for (let r = 0; r < rows; r++) {
        // The loudest bin in the row's band; a band narrower than a bin takes its nearest bin.
        const lo = Math.floor(edges[r + 1]);
        const hi = Math.max(lo, Math.min(fft.bins - 1, Math.ceil(edges[r]) - 1));
        let p = 0;
        for (let k = lo; k <= hi; k++) if (power[k] > p) p = power[k];
        const db = p > 0 ? 10 * Math.log10(p) : -Infinity;
        data[r * columns + c] = Math.round(Math.max(0, Math.min(1, (db - floorDb) / -floorDb)) * 255);
      }
      // A large image is a few hundred ms of work: let other requests in now and then.
      if (c % 256 === 255) await new Promise((r) => setImmediate(r));
    }
    return { columns, rows, minHz, maxHz, floorDb, data };
  } finally {
    await reader.close();
  }
}
