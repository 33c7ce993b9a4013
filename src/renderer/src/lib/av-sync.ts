/**
 * Lip sync: keep the picture on screen at the sound coming out of the speakers.
 *
 * Comparing video.currentTime with the audio context's clock is off by two hidden delays: the audio
 * reaches the speakers `outputLatency` after the context plays it, and a decoded frame reaches the
 * screen a frame or two after the video's clock passes it. So both sides are measured where the
 * user meets them: requestVideoFrameCallback says which frame (mediaTime) is shown when
 * (expectedDisplayTime), and AudioContext.getOutputTimestamp says which context time is at the
 * speakers when. Their difference is the offset the user sees; the picture's rate is nudged to
 * bring it to zero.
 */

/** Where the audio clock stands: context time `t0` plays media time `from`. */
export interface AudioAnchor {
  from: number;
  t0: number;
}

/** AudioContext.getOutputTimestamp(), with the context's latencies as a fallback. */
export interface OutputClock {
  contextTime?: number;
  performanceTime?: number;
  currentTime: number;
  outputLatency: number;
  baseLatency: number;
}

/** Context time of the sound at the speakers at performance.now() = `perfMs`. */
export function contextTimeHeard(c: OutputClock, perfMs: number, nowMs: number): number {
  if (c.contextTime !== undefined && c.performanceTime !== undefined && c.performanceTime > 0) {
    return c.contextTime + (perfMs - c.performanceTime) / 1000;
  }
  // No output timestamp (some platforms): the context clock minus what is still in the pipeline.
  return c.currentTime - c.outputLatency - c.baseLatency + (perfMs - nowMs) / 1000;
}

/** Media time heard at `perfMs`. */
export function heardMediaTime(a: AudioAnchor, c: OutputClock, perfMs: number, nowMs: number): number {
  return a.from + (contextTimeHeard(c, perfMs, nowMs) - a.t0);
}

/** Beyond this the picture is re-seeked rather than nudged. */
export const RESEEK_SEC = 0.25;
/** Rate change per second of offset. */
const GAIN = 3;
/**
 * The most the picture's rate is nudged: a lost frame (40 ms at 25 fps) is caught up in half a
 * second without visibly faster motion, and a page that stops drawing for a moment (a busy
 * machine) leaves the picture little ahead when it comes back.
 */
const MAX_NUDGE = 0.08;
/** How fast the trim learns the picture's loss (rate change per second, per second of offset). */
const TRIM_GAIN = 3;
/** The trim learns from offsets up to this size, so a late start or a seek does not wind it up. */
const TRIM_INPUT_SEC = 0.02;
const MAX_TRIM = 0.06;
/** The rate is changed only by this much or more: each change costs the picture time (below). */
const MIN_STEP = 0.02;
/** The most a start or a seek of the picture is led (a slower picture is caught up by nudging). */
const MAX_LEAD_SEC = 0.4;

/**
 * Steers the picture from measured offsets (picture minus heard sound, seconds, one per frame
 * shown). Smooths them (frames arrive with jitter), and answers the playback rate to use, or a
 * seek when the picture is far off.
 *
 * The rate is the sum of a nudge proportional to the offset and a trim, the integral of the
 * offset, which learns the time the picture's clock loses on its own. Chromium's muted picture
 * loses time whenever its rate is changed (measured: a rate set anew on every frame lost about
 * 50 ms a second, one step to 1.05 and back 10-20 ms, an unchanged rate nothing), and more on a
 * busy machine. Against such a steady loss a nudge proportional to the offset alone settles with
 * the picture behind by loss / gain (3 % at gain 3: 10 ms, the mean this used to show); with the
 * trim the offset averages zero, whatever the loss comes from. The rate is also changed only in
 * steps of at least MIN_STEP, so the jitter of the frames does not change it on every frame.
 *
 * The sound starts exactly when it is scheduled, but the picture takes time to get moving after
 * play() and after a seek (decoding, its own silent audio output filling), all the while the
 * sound goes on. So the picture is started `playLead` before its first frame is heard, and a seek
 * aims `seekLead` ahead of the sound; the first frame shown after each start or seek says how
 * much lead it lacked, and the next one uses that.
 */
export class OffsetSteer {
  private smooth: number | null = null;
  /** Display time (seconds) of the last frame measured, null after a start or seek. */
  private lastAt: number | null = null;
  /** Recent measurements (seconds), newest last, for tests and bug reports. */
  readonly recent: number[] = [];
  /**
   * Seconds between starting the picture and its first frame meeting the sound. The first guess
   * is what Chromium's muted picture took on a 2-core machine (45-130 ms, about 90 ms typically,
   * from the moment play() is due); where it takes less the first start is a little early, which
   * a viewer forgives more than a late picture.
   */
  playLead = 0.09;
  /** Seconds a seek of the playing picture takes to show its frame. */
  seekLead = 0.08;
  /** What the picture's clock loses (< 0: gains) as a rate, learned; kept across starts and seeks. */
  trim = 0;
  /** The rate last answered. */
  private rate = 1;
  private learning: 'playLead' | 'seekLead' | null = null;

  /** Forget the measurements: the picture is stopped and set to rate 1. */
  reset(): void {
    this.restart();
    this.rate = 1;
  }

  private restart(): void {
    this.smooth = null;
    this.lastAt = null;
    this.recent.length = 0;
    this.learning = null;
  }

  /** The picture is started now, `playLead` before the sound reaches it. */
  started(): void {
    this.reset();
    this.learning = 'playLead';
  }

  /** Picture minus heard sound, smoothed over the recent frames (null before the first frame). */
  get offset(): number | null {
    return this.smooth;
  }

  /**
   * One frame's offset in, with the time it is shown (seconds on any steady clock); what to do
   * with the picture out (a seek: to `lead` past the sound).
   */
  frame(offset: number, shownAt: number): { rate: number } | { reseek: true; lead: number } {
    this.recent.push(offset);
    if (this.recent.length > 50) this.recent.shift();
    if (this.learning) {
      // Late (offset < 0): that much more lead next time; early: that much less.
      this[this.learning] = clamp(this[this.learning] - offset, 0, MAX_LEAD_SEC);
      this.learning = null;
    }
    if (Math.abs(offset) > RESEEK_SEC) {
      this.restart();
      this.learning = 'seekLead';
      return { reseek: true, lead: this.seekLead };
    }
    const dt = this.lastAt === null ? 0 : clamp(shownAt - this.lastAt, 0, 0.1);
    this.lastAt = shownAt;
    this.smooth = this.smooth === null ? offset : this.smooth + 0.2 * (offset - this.smooth);
    const e = this.smooth;
    this.trim = clamp(this.trim - TRIM_GAIN * clamp(e, -TRIM_INPUT_SEC, TRIM_INPUT_SEC) * dt, -MAX_TRIM, MAX_TRIM);
    // Picture ahead (e > 0): slow it down; behind: speed it up.
    const rate = 1 + this.trim - clamp(GAIN * e, -MAX_NUDGE, MAX_NUDGE);
    if (Math.abs(rate - this.rate) >= MIN_STEP) this.rate = rate;
    return { rate: this.rate };
  }
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));
