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

const loaded = new Map<string, Promise<Detector>>();

/** The detector `name` of this thread: loaded on first use and kept (loading costs seconds). */
export function threadDetector(name: string = DEFAULT_DETECTOR): Promise<Detector> {
  let d = loaded.get(name);
  if (!d) {
    d = detectorModule(name).then((m) => m.createDetector());
    loaded.set(name, d);
    d.catch(() => loaded.delete(name));
  }
  return d;
}

/** Release this thread's detectors (before the thread ends). */
export async function disposeThreadDetectors(): Promise<void> {
  for (const d of loaded.values()) await (await d.catch(() => null))?.dispose();
  loaded.clear();
}
