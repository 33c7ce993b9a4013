/**
 * The mixer's rules, written once for everyone who applies them: main validates and stores
 * levels, the export renders them, and the renderer plays them through Web Audio. Keeping one
 * copy is what makes "what you hear is what you export" hold at every level.
 */

/** Channel gain range in dB. At the bottom of the range a channel is silent (gain 0), not quiet. */
export const MIN_GAIN_DB = -120;
export const MAX_GAIN_DB = 24;

/** Most sources one project separates at once (the separation model's slot count). */
export const MAX_SOURCES = 8;

/** Sample formats of exported (and separated) WAV files. */
export const WAV_FORMATS = ['wav16', 'wav24', 'f32'] as const;
export type WavFormat = (typeof WAV_FORMATS)[number];
export const WAV_FORMAT_LABELS: Record<WavFormat, string> = { wav16: 'WAV 16-bit', wav24: 'WAV 24-bit', f32: 'WAV 32-bit float' };

/** What the transport plays: A the remix of the stems, B the original. */
export const MONITORS = ['mix', 'original'] as const;
export type Monitor = (typeof MONITORS)[number];

export interface ChannelLevels {
  gainDb: number;
  /** -1 (left) .. 1 (right). */
  pan: number;
  mute: boolean;
  solo: boolean;
}

/** Linear gain of a level in dB; MIN_GAIN_DB and below is silence. */
export function dbToGain(db: number): number {
  return db <= MIN_GAIN_DB ? 0 : Math.pow(10, db / 20);
}

/** Solo wins: when any channel is soloed only soloed channels sound; otherwise unmuted ones. */
export function audible(ch: ChannelLevels, all: readonly ChannelLevels[]): boolean {
  return all.some((c) => c.solo) ? ch.solo : !ch.mute;
}

/** The gain a channel plays and exports with: its level when audible, else 0. */
export function channelGain(ch: ChannelLevels, all: readonly ChannelLevels[]): number {
  return audible(ch, all) ? dbToGain(ch.gainDb) : 0;
}
