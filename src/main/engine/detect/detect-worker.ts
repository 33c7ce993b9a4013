import { serveStreams } from '../jobs/stream-worker';
import { detectorModule } from './registry';
import { detectSegment, type FoundFrame, type SegmentRequest } from './segments';
import type { Detector } from './types';

/**
 * Worker thread running a picture detector over segments of clips (pool.ts). tfjs's WebAssembly
 * backend runs on one thread in Node, so detectors in several workers are how detection uses
 * more than one core. A stream worker (jobs/): it keeps its detector loaded until stopped.
 */

export interface DetectSegmentRequest {
  detector: string;
  segment: SegmentRequest;
}

const detectors = new Map<string, Promise<Detector>>();

function detector(name: string): Promise<Detector> {
  let d = detectors.get(name);
  if (!d) {
    d = detectorModule(name).then((m) => m.createDetector());
    detectors.set(name, d);
    d.catch(() => detectors.delete(name));
  }
  return d;
}

serveStreams<DetectSegmentRequest, FoundFrame>({
  async *stream(req, signal) {
    yield* detectSegment(await detector(req.detector), req.segment, signal);
  },
  async close() {
    for (const d of detectors.values()) await (await d.catch(() => null))?.dispose();
  },
});
