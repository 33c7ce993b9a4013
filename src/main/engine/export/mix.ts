/**
 * The export's mixing kernel. The level rules (dB to gain, the silence floor, solo over mute) come
 * from src/shared/mixer.ts, which the renderer's playback applies too; the pan law here is Web
 * Audio's StereoPannerNode, the node the playback pans with. Together: what you hear is what you
 * export.
 */

export { audible, channelGain, dbToGain, type ChannelLevels } from '../../../shared/mixer';

/**
 * Add one block of a stem (1 or 2+ channels; beyond 2 only the first two are used) into a stereo
 * mix with gain and pan, per the Web Audio spec's StereoPannerNode algorithm.
 */
export function addPanned(outL: Float32Array, outR: Float32Array, input: Float32Array[], gain: number, pan: number): void {
  const n = outL.length;
  const p = Math.max(-1, Math.min(1, pan));
  if (input.length === 1) {
    const x = (p + 1) / 2;
    const gl = Math.cos((x * Math.PI) / 2) * gain;
    const gr = Math.sin((x * Math.PI) / 2) * gain;
    const m = input[0];
    for (let i = 0; i < n; i++) {
      outL[i] += m[i] * gl;
      outR[i] += m[i] * gr;
    }
    return;
  }
  const [l, r] = input;
  const x = p <= 0 ? p + 1 : p;
  const gl = Math.cos((x * Math.PI) / 2);
  const gr = Math.sin((x * Math.PI) / 2);
  if (p <= 0) {
    for (let i = 0; i < n; i++) {
      outL[i] += (l[i] + r[i] * gl) * gain;
      outR[i] += r[i] * gr * gain;
    }
  } else {
    for (let i = 0; i < n; i++) {
      outL[i] += l[i] * gl * gain;
      outR[i] += (r[i] + l[i] * gr) * gain;
    }
  }
}
