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
const MAX_NUDGE = 0.08;
const DEAD_BAND_SEC = 0.004;
/** The most a start or a seek of the picture is led (a slower picture is caught up by nudging). */
const MAX_LEAD_SEC = 0.4;

/**
 * Steers the picture from measured offsets (picture minus heard sound, seconds, one per frame
 * shown). Smooths them (frames arrive with jitter), and answers the playback rate to use, or a
 * seek when the picture is far off.
 *
 * The sound starts exactly when it is scheduled, but the picture takes time to get moving after
 * play() and after a seek (decoding, the compositor), all the while the sound goes on. So the
 * picture is started `playLead` before its first frame is heard, and a seek aims `seekLead` ahead
 * of the sound; the first frame shown after each start or seek says how much lead it lacked, and
 * the next one uses that. Without this, every start left the picture a few frames late for the
 * second or so the nudging needs to catch up.
 */
export class OffsetSteer {
  private smooth: number | null = null;
  /** Recent measurements (seconds), newest last, for tests and bug reports. */
  readonly recent: number[] = [];
  /** Seconds between starting the picture and its first frame meeting the sound. */
  playLead = 0.04;
  /** Seconds a seek of the playing picture takes to show its frame. */
  seekLead = 0.08;
  private learning: 'playLead' | 'seekLead' | null = null;

  reset(): void {
    this.smooth = null;
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

  /** One frame's offset in; what to do with the picture out (a seek: to `lead` past the sound). */
  frame(offset: number): { rate: number } | { reseek: true; lead: number } {
    this.recent.push(offset);
    if (this.recent.length > 50) this.recent.shift();
    if (this.learning) {
      // Late (offset < 0): that much more lead next time; early: that much less.
      this[this.learning] = Math.max(0, Math.min(MAX_LEAD_SEC, this[this.learning] - offset));
      this.learning = null;
    }
    if (Math.abs(offset) > RESEEK_SEC) {
      this.smooth = null;
      this.learning = 'seekLead';
      return { reseek: true, lead: this.seekLead };
    }
    this.smooth = this.smooth === null ? offset : this.smooth + 0.25 * (offset - this.smooth);
    const e = this.smooth;
    if (Math.abs(e) < DEAD_BAND_SEC) return { rate: 1 };
    // Picture ahead (e > 0): slow it down; behind: speed it up. Proportional, bounded so the
    // motion never looks wrong; at 25 fps a 40 ms offset is closed in about a third of a second.
    return { rate: 1 - Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, e * 3)) };
  }
}
