/**
 * mix.loudness: the BS.1770 loudness of the whole remix, measured from the stems with the
 * mixer's current levels (the mix the export writes), streamed so any length fits in memory.
 */
import type { MixLoudness } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { mixStems } from './export';
import type { EditorEngine, EditorStore } from './ports';
import type { ProjectState } from './state';

/** JSON has no -Infinity: silence (or nothing above the gate) is null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

export function createLoudnessService(store: EditorStore, engine: EditorEngine, view: ProjectState) {
  return {
    async measure(projectId: number): Promise<MixLoudness> {
      const st = await view.state(projectId);
      if (st.stems.length === 0) throw new AppError('bad_request', 'There is no mix to measure yet: click a source in the video and wait for the separation.');
      if (st.stems.some((s) => s.preview)) throw new AppError('bad_request', 'Only a preview of the stems is ready; measure the loudness once the whole file is separated.');
      const r = await engine.mixLoudness(mixStems(st, store));
      return {
        integratedLufs: finite(r.integrated),
        momentaryMaxLufs: finite(r.momentaryMax),
        shortTermMaxLufs: finite(r.shortTermMax),
        samplePeakDb: finite(20 * Math.log10(r.samplePeak)),
        durationSec: r.durationSec,
      };
    },
  };
}

export type LoudnessService = ReturnType<typeof createLoudnessService>;
