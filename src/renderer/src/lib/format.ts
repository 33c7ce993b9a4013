/** 83.456 -> "1:23.45"; hours appear only when needed. */
export function formatTime(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) sec = 0;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const ss = s.toFixed(2).padStart(5, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Duration for lists: "3:07" or "1:02:03". */
export function formatDuration(sec: number): string {
  const t = Math.round(sec);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

export function formatWhen(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const diff = (now - t) / 1000;
  if (diff < 60) return 'just now';
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function channelsLabel(n: number | null): string {
  if (n === null) return '';
  return n === 1 ? 'mono' : n === 2 ? 'stereo' : `${n} ch`;
}

/** Seconds between ruler labels: the first step that leaves `minPx` between them at `pxPerSec`. */
export function rulerStep(pxPerSec: number, minPx = 64): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => s * pxPerSec >= minPx) ?? 7200;
}

/** A ruler label in one style at every zoom: "0:05", "1:10", "1:02:03"; tenths below 1 s steps. */
export function formatRulerTime(sec: number, step: number): string {
  const tenths = step < 1;
  const t = tenths ? Math.round(sec * 10) / 10 : Math.round(sec);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const ss = (tenths ? s.toFixed(1) : String(s)).padStart(tenths ? 4 : 2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
