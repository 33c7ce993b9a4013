import path from 'node:path';
import { readWav, writeWav, type WavFormat } from '../media/wav';

/**
 * Sources asked for with the same query (two faces both asked for as 'speaker', two players both
 * named 'guitar') get the same mask from the separation, so each would hold the same half of their
 * sound. On real footage what tells them apart is who moves when: a face's speaking (its mouth
 * with the speech) or a player's hands and body. Their stems are summed and shared out again over
 * time, each source's share following its own activity (0..1):
 *
 *   share_k(t) = (a_k(t) + FLOOR) / sum_j (a_j(t) + FLOOR)
 *
 * The shares add up to 1 at every sample, so the group's sum, and with it stems + residual =
 * original, is unchanged; when nobody (or everybody equally) is active the sound stays split
 * evenly, as before. Activity is interpolated linearly between its frames (1/fps apart), so
 * shares move smoothly and add no clicks. It tells sources apart when they take turns (dialogue,
 * a solo each); sound they make at the same moment stays shared.
 */

/** Share of a source that does not move, against one that is fully active: about -26 dB. */
const FLOOR = 0.05;

export interface ShareMember {
  /** 1-based source index (source-N.wav). */
  index: number;
  /** Activity 0..1, `fps` values a second, value i at (i + 0.5) / fps seconds after the stems' start. */
  activity: number[];
}

/** Each member's share at every sample: members.length arrays of `frames` values that add up to 1. */
export function activityShares(members: readonly number[][], fps: number, rate: number, frames: number): Float32Array[] {
  const shares = members.map(() => new Float32Array(frames));
  const count = Math.max(...members.map((a) => a.length));
  const at = (a: number[], i: number) => Math.min(1, Math.max(0, a[Math.min(a.length - 1, Math.max(0, i))] ?? 0)) + FLOOR;
  for (let s = 0; s < frames; s++) {
    // Position between activity values (value i is at (i + 0.5) / fps).
    const u = (s / rate) * fps - 0.5;
    const i = Math.floor(u);
    const w = count > 1 ? Math.min(1, Math.max(0, u - i)) : 0;
    let total = 0;
    for (let k = 0; k < members.length; k++) {
      const v = (1 - w) * at(members[k], i) + w * at(members[k], i + 1);
      shares[k][s] = v;
      total += v;
    }
    for (let k = 0; k < members.length; k++) shares[k][s] /= total;
  }
  return shares;
}

/**
 * Shares the stems of each group (two or more members) in `dir` by activity and rewrites them
 * atomically in `format`. Returns the samples clipped per file rewritten (integer formats).
 */
export async function shareByActivity(dir: string, groups: ShareMember[][], fps: number, format: WavFormat): Promise<{ file: string; samples: number }[]> {
  const clipped: { file: string; samples: number }[] = [];
  for (const group of groups) {
    if (group.length < 2) continue;
    const files = group.map((m) => path.join(dir, `source-${m.index}.wav`));
    const stems = await Promise.all(files.map((f) => readWav(f)));
    const { sampleRate } = stems[0];
    const frames = stems[0].channels[0].length;
    const shares = activityShares(group.map((m) => m.activity), fps, sampleRate, frames);
    const channels = stems[0].channels.length;
    for (let c = 0; c < channels; c++) {
      for (let s = 0; s < frames; s++) {
        let sum = 0;
        for (const st of stems) sum += st.channels[c][s];
        for (let k = 0; k < stems.length; k++) stems[k].channels[c][s] = sum * shares[k][s];
      }
    }
    for (let k = 0; k < stems.length; k++) clipped.push({ file: `source-${group[k].index}.wav`, samples: await writeWav(files[k], stems[k], format) });
  }
  return clipped.filter((c) => c.samples > 0);
}
