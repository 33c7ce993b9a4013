/**
 * Level meters: the ballistics (instant rise, steady fall, peak hold, a clip light that stays on
 * until clicked) as plain code, and a reactive set of meters that the page updates once a frame
 * from the player's taps while it plays.
 */
import { lufsFromPower } from '../../../shared/loudness';

/** The lowest level a meter shows; below it the bar is empty. */
export const METER_FLOOR_DB = -60;
/** How long the hold line stays at a peak before it falls with the bar. */
export const HOLD_MS = 1500;
/** How fast the bar falls (a PPM-like 20 dB per second). */
export const FALL_DB_PER_SEC = 20;
const UPDATE_MS = 50;

export const toDb = (linear: number): number => (linear > 0 ? 20 * Math.log10(linear) : -Infinity);

export interface MeterReading {
  /** Bar level in dBFS (falls at FALL_DB_PER_SEC after a peak). */
  levelDb: number;
  /** Highest recent peak, held for HOLD_MS. */
  holdDb: number;
  /** A sample reached full scale (0 dBFS) since the last reset. */
  clipped: boolean;
}

export function silentReading(): MeterReading {
  return { levelDb: -Infinity, holdDb: -Infinity, clipped: false };
}

/** Ballistics of one meter: pure state so it can be tested without audio. */
export class PeakBallistics {
  private level = -Infinity;
  private hold = -Infinity;
  private holdAt = 0;
  private clip = false;
  private last: number | null = null;

  /** Feed the peak (linear) of the audio since the last call, at time nowMs. */
  update(peak: number, nowMs: number): MeterReading {
    const dt = this.last === null ? 0 : Math.max(0, nowMs - this.last) / 1000;
    this.last = nowMs;
    const db = toDb(peak);
    if (peak >= 1) this.clip = true;
    const fallen = this.level - FALL_DB_PER_SEC * dt;
    this.level = Math.max(db, fallen < METER_FLOOR_DB ? -Infinity : fallen);
    if (db >= this.hold || nowMs - this.holdAt > HOLD_MS) {
      this.hold = db >= this.hold ? db : this.level;
      this.holdAt = nowMs;
    }
    return { levelDb: this.level, holdDb: this.hold, clipped: this.clip };
  }

  resetClip(): void {
    this.clip = false;
  }
}

/** Largest absolute sample of some blocks. */
export function peakOf(blocks: readonly Float32Array[]): number {
  let p = 0;
  for (const b of blocks) for (let i = 0; i < b.length; i++) p = Math.max(p, Math.abs(b[i]));
  return p;
}

/** Momentary loudness (BS.1770, 400 ms) of K-weighted channel blocks; each holds 400 ms or more. */
export function momentaryLufs(kWeighted: readonly Float32Array[], frames400ms: number): number {
  let power = 0;
  for (const ch of kWeighted) {
    const from = Math.max(0, ch.length - frames400ms);
    let sum = 0;
    for (let i = from; i < ch.length; i++) sum += ch[i] * ch[i];
    power += sum / Math.max(1, ch.length - from);
  }
  return lufsFromPower(power);
}

/** What a player offers the meters: the latest audio of each track and of the master. */
export interface MeterTaps {
  trackPeak(key: string): number | null;
  masterPeak(): number;
  masterMomentaryLufs(): number;
}

/** Every meter of the page, updated together. */
export class Meters {
  tracks = $state<Record<string, MeterReading>>({});
  master = $state<MeterReading>(silentReading());
  momentaryLufs = $state(-Infinity);
  private ballistics = new Map<string, PeakBallistics>();

  private ballisticsOf(key: string): PeakBallistics {
    let b = this.ballistics.get(key);
    if (!b) this.ballistics.set(key, (b = new PeakBallistics()));
    return b;
  }

  update(taps: MeterTaps, keys: readonly string[], nowMs: number): void {
    const next: Record<string, MeterReading> = {};
    for (const k of keys) next[k] = this.ballisticsOf(k).update(taps.trackPeak(k) ?? 0, nowMs);
    this.tracks = next;
    this.master = this.ballisticsOf('\0master').update(taps.masterPeak(), nowMs);
    this.momentaryLufs = taps.masterMomentaryLufs();
  }

  resetClip(key: string | null): void {
    this.ballisticsOf(key ?? '\0master').resetClip();
    if (key === null) this.master = { ...this.master, clipped: false };
    else if (this.tracks[key]) this.tracks = { ...this.tracks, [key]: { ...this.tracks[key], clipped: false } };
  }

  /**
   * Updates the meters 20 times a second (enough for the eye, and it leaves the frames to the
   * video) until the returned function is called; while nothing plays they are left alone once
   * they have fallen to silence. The peak taps hold more than 50 ms, so no peak is missed.
   */
  run(taps: MeterTaps, keys: () => readonly string[], playing: () => boolean): () => void {
    let last = 0;
    const tick = (now: number) => {
      const settled = this.master.holdDb === -Infinity && Object.values(this.tracks).every((r) => r.holdDb === -Infinity);
      if (now - last >= UPDATE_MS && (playing() || !settled)) {
        last = now;
        this.update(taps, keys(), now);
      }
      raf = requestAnimationFrame(tick);
    };
    let raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }
}
