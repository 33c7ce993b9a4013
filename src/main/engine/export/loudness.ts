import { LoudnessMeter, type LoudnessReading } from '../../../shared/loudness';
import { probeMedia } from '../media/probe';
import { addPanned, channelGain, type ChannelLevels } from './mix';
import { BlockReader } from './reader';

/** A stem as the mix hears it: its file and its mixer levels. */
export interface MixInput extends ChannelLevels {
  path: string;
}

const BLOCK = 65536;

/**
 * Loudness (BS.1770) of the stereo mix the export would write, streamed block by block from the
 * stems with the same gains and pan law, so its memory does not grow with the media's length.
 */
export async function measureMixLoudness(stems: MixInput[], signal?: AbortSignal): Promise<LoudnessReading & { durationSec: number }> {
  if (stems.length === 0) throw new Error('There are no stems to measure; separate some sources first.');
  const infos = await Promise.all(stems.map((s) => probeMedia(s.path, { signal })));
  const rate = infos[0].audio?.sampleRate ?? 48000;
  const frames = Math.max(...infos.map((i) => Math.round(i.durationSec * rate)));
  const gains = stems.map((s) => channelGain(s, stems));
  const heard = stems.map((s, i) => ({ s, i })).filter(({ i }) => gains[i] > 0);
  const readers = heard.map(({ i }) => new BlockReader(stems[i].path, Math.max(1, infos[i].audio?.channels ?? 2), rate, 0, signal));
  const meter = new LoudnessMeter(rate, 2);
  try {
    for (let done = 0; done < frames; done += BLOCK) {
      const n = Math.min(BLOCK, frames - done);
      const mixL = new Float32Array(n);
      const mixR = new Float32Array(n);
      for (let k = 0; k < readers.length; k++) addPanned(mixL, mixR, await readers[k].read(n), gains[heard[k].i], heard[k].s.pan);
      meter.push([mixL, mixR]);
    }
  } finally {
    for (const r of readers) await r.close().catch(() => undefined);
  }
  return { ...meter.reading(), durationSec: frames / rate };
}
