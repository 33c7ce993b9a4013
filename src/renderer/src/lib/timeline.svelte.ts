import type WaveSurfer from 'wavesurfer.js';

/** Zoom and horizontal scroll shared by every track, so they stay time-aligned. */
export class TimelineView {
  pxPerSec = $state(0);
  private members = new Set<WaveSurfer>();
  private syncing = false;

  register(ws: WaveSurfer): () => void {
    this.members.add(ws);
    return () => this.members.delete(ws);
  }

  /** One track scrolled (by the user or its auto-scroll): move the others to the same place. */
  scrolled(from: WaveSurfer, left: number): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (const m of this.members) if (m !== from && Math.abs(m.getScroll() - left) > 1) m.setScroll(left);
    } finally {
      this.syncing = false;
    }
  }

  /** Visible time range of the first track (for the preview separation). */
  visible(duration: number): { startSec: number; spanSec: number } {
    const first = this.members.values().next().value as WaveSurfer | undefined;
    if (!first || this.pxPerSec <= 0) return { startSec: 0, spanSec: Math.min(duration, 20) };
    const width = first.getWrapper().parentElement?.clientWidth ?? 800;
    return { startSec: first.getScroll() / this.pxPerSec, spanSec: Math.min(duration, width / this.pxPerSec) };
  }
}
