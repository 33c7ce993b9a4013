/**
 * The rules of the edits made to a separated stem, written once for main (validation, the stored
 * settings), the engine (which applies them) and the renderer (its controls).
 *
 * Strength: how much of the rest of the mix is removed from a source's stem. The stem's soft mask
 * (its share of the mixture in each time-frequency cell) is raised to the power
 * strengthPower(strength): 0.5 keeps the separation's stem as it is, 1 (power 4) keeps only the
 * cells the source clearly owns, 0 (power 1/4) lets more of the surroundings through.
 *
 * Moved ranges: a time range of a stem handed to another source's stem or to the residual, with
 * short linear fades at its ends so the cut never clicks.
 */

export const MIN_STRENGTH = 0;
export const MAX_STRENGTH = 1;
/** The separation's own output: today's stems are unchanged at this value. */
export const DEFAULT_STRENGTH = 0.5;

/** The mask exponent of a strength: 4^(2s - 1), so 1/4 at 0, 1 at the default, 4 at 1. */
export function strengthPower(strength: number): number {
  return Math.pow(4, 2 * strength - 1);
}

/** The enhancer's amount at the default strength: what the separation cleans a speaker's stem with. */
export const DEFAULT_ENHANCER_AMOUNT = 0.8;

/**
 * How much of what the speech enhancer takes for not-speech is removed from a speaker's stem at a
 * strength: linear from 0 at strength 0 to DEFAULT_ENHANCER_AMOUNT at the default, then on to 1 at
 * strength 1. (0.8 at the default: the amount speakers were cleaned with before strength drove it.)
 */
export function enhancerAmount(strength: number): number {
  const s = Math.min(MAX_STRENGTH, Math.max(MIN_STRENGTH, strength));
  return s <= DEFAULT_STRENGTH
    ? (DEFAULT_ENHANCER_AMOUNT * s) / DEFAULT_STRENGTH
    : DEFAULT_ENHANCER_AMOUNT + ((1 - DEFAULT_ENHANCER_AMOUNT) * (s - DEFAULT_STRENGTH)) / (MAX_STRENGTH - DEFAULT_STRENGTH);
}

/** Length of the fades at both ends of a moved range (each end is centred on its time). */
export const MOVE_FADE_SEC = 0.01;
/** Shortest range that can be moved. */
export const MIN_MOVE_SEC = 0.02;
/** Most moved ranges one source keeps. */
export const MAX_MOVES = 200;

/**
 * The share of the sample at time t that a move of [startSec, endSec] takes: 1 inside, 0 outside,
 * linear across a MOVE_FADE_SEC fade centred on each end.
 */
export function moveWeight(t: number, startSec: number, endSec: number): number {
  const up = (t - startSec) / MOVE_FADE_SEC + 0.5;
  const down = (endSec - t) / MOVE_FADE_SEC + 0.5;
  return Math.max(0, Math.min(1, up, down));
}
