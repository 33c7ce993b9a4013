import type WaveSurfer from 'wavesurfer.js';

/**
 * Zoom, horizontal scroll and the time selection shared by every track and the ruler, so they stay
 * time-aligned. `pxPerSec` 0 means "fit the whole file"; `scale` is the pixels per second in
 * effect either way.
 */
export class TimelineView {
  pxPerSec = $state(0);
  /** Left edge of the visible part, in pixels of the zoomed timeline. */
  scrollLeft = $state(0);
  /** Width of the waveform area in pixels (set by the ruler, which spans it). */
  width = $state(0);
  /** Selected time range (seconds), or null. Loop playback and region export use it. */
  selection = $state<{ startSec: number; endSec: number } | null>(null);
  private members = new Set<WaveSurfer>();
  private syncing = false;

  constructor(readonly durationSec: number) {}

  /** Pixels per second in effect: the zoom, or what fits the whole file in the visible width. */
  get scale(): number {
    const fit = this.durationSec > 0 && this.width > 0 ? this.width / this.durationSec : 0;
    return Math.max(this.pxPerSec, fit);
  }

  /** Media time at an x offset (pixels) from the left edge of the waveform area. */
  timeAt(x: number): number {
    const s = this.scale;
    return s > 0 ? Math.max(0, Math.min(this.durationSec, (x + this.scrollLeft) / s)) : 0;
  }

  register(ws: WaveSurfer): () => void {
    this.members.add(ws);
    return () => this.members.delete(ws);
  }

  /** One track scrolled (by the user or its auto-scroll): move the others to the same place. */
  scrolled(from: WaveSurfer | null, left: number): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      this.scrollLeft = left;
      for (const m of this.members) if (m !== from && Math.abs(m.getScroll() - left) > 1) m.setScroll(left);
    } finally {
      this.syncing = false;
    }
  }

  /** Scroll every track to `left` pixels (clamped to the timeline). */
  scrollTo(left: number): void {
    const max = Math.max(0, this.durationSec * this.scale - this.width);
    this.scrolled(null, Math.max(0, Math.min(max, left)));
  }

  /**
   * Change the zoom keeping `anchorSec` (the playhead) where it is on screen, or in the middle
   * when it was out of view; the tracks follow through `pxPerSec` and `scrollLeft`.
   */
  zoom(pxPerSec: number, anchorSec: number): void {
    const before = anchorSec * this.scale - this.scrollLeft;
    const x = before >= 0 && before <= this.width ? before : this.width / 2;
    this.pxPerSec = pxPerSec;
    this.scrollTo(anchorSec * this.scale - x);
  }

  /** Visible time range (for the preview separation). */
  visible(): { startSec: number; spanSec: number } {
    const s = this.scale;
    if (s <= 0) return { startSec: 0, spanSec: Math.min(this.durationSec, 20) };
    return { startSec: this.scrollLeft / s, spanSec: Math.min(this.durationSec, this.width / s) };
  }
}
