import { serveStreams } from '../jobs/stream-worker';
import { disposeThreadDetectors, threadDetector } from './registry';
import { detectSegment, type FoundFrame, type SegmentRequest } from './segments';

/**
 * Worker thread running a picture detector over segments of clips (pool.ts). tfjs's WebAssembly
 * backend runs on one thread in Node, so detectors in several workers are how detection uses
 * more than one core. A stream worker (jobs/): it keeps its detector loaded until stopped.
 */

export interface DetectSegmentRequest {
  detector: string;
  /** null: only load the detector (ahead of the segments that will follow). */
  segment: SegmentRequest | null;
}

serveStreams<DetectSegmentRequest, FoundFrame>({
  async *stream(req, signal) {
    const detector = await threadDetector(req.detector);
    if (req.segment) yield* detectSegment(detector, req.segment, signal);
  },
  close: disposeThreadDetectors,
});
