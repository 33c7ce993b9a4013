/**
 * The mixer's arithmetic, shared by the export and (in the renderer, the same formulas through Web
 * Audio) the live playback: gain in dB, Web Audio's StereoPannerNode equal-power pan law, and
 * solo-over-mute audibility. Keeping the export on Web Audio's law means what you hear is what you
 * export.
 */

export interface ChannelMix {
  gainDb: number;
  pan: number;
  mute: boolean;
  solo: boolean;
}

export function dbToGain(db: number): number {
  return db <= -120 ? 0 : Math.pow(10, db / 20);
}

/** Solo wins: when any channel is soloed only soloed channels sound; otherwise unmuted ones. */
export function audible(ch: ChannelMix, all: readonly ChannelMix[]): boolean {
  return all.some((c) => c.solo) ? ch.solo : !ch.mute;
}

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
