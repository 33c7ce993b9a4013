import type { Detector } from './types';

/**
 * Picture detectors by name. Each module exports `detectorId()` (cheap: names the detector and
 * its weights, part of the cache key) and `createDetector()` (loads the runtime and weights).
 * Adding a detector: one module and one line here.
 */
export interface DetectorModule {
  detectorId(): string;
  createDetector(): Promise<Detector>;
}

export const DETECTORS: Record<string, () => Promise<DetectorModule>> = {
  human: () => import('./human'),
};

export const DEFAULT_DETECTOR = 'human';

export async function detectorModule(name: string = DEFAULT_DETECTOR): Promise<DetectorModule> {
  const load = Object.hasOwn(DETECTORS, name) ? DETECTORS[name] : undefined;
  if (!load) throw new Error(`unknown detector '${name}' (known: ${Object.keys(DETECTORS).join(', ')})`);
  return load();
}
