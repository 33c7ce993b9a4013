/**
 * The editor of one open project: what main says the project is (EditorState, reloaded after
 * every change), the selection, heatmap frames around the playhead, and the actions. Main holds
 * the truth and saves every edit; this only mirrors it.
 */
import type { DetectionsView, EditorState, Heatmaps, MixerChannelView, ProjectView, SceneSetting, SourceView, StemView } from '../../../shared/contract';
import { appState } from './app-state.svelte';
import { client } from './client';
import { ORIGINAL_COLOUR } from './colours';
import { finished, type JobProgress } from './jobs';

/** Clicks within this time are separated together (one job instead of one per click). */
export const SEPARATION_DEBOUNCE_MS = 900;
const HEAT_SPAN_SEC = 30;

export interface TrackView {
  key: string;
  role: 'source' | 'residual' | 'original';
  name: string;
  colour: string;
  channel: MixerChannelView | null;
  stem: StemView | null;
  source: SourceView | null;
  /** The residual's parts: stems of removed sources it plays until the next separation. */
  parts?: StemView[];
}

export class Editor {
  state = $state<EditorState | null>(null);
  selectedSourceId = $state<number | null>(null);
  /** Clicks in the picture so far (the last one's source is the one selected). */
  private clicks = 0;
  /** Track with the keyboard focus for M/S: a source id, 'residual' or 'original'. */
  selectedTrack = $state<string | null>(null);
  heatmapOn = $state(true);
  heatmapOpacity = $state(0.6);
  duckDb = $state(18);
  exportOpen = $state(false);
  lastExport = $state<string | null>(null);
  private heat: Heatmaps | null = null;
  private heatBytes: Uint8Array | null = null;
  private heatLoading = false;
  heatVersion = $state(0);
  /** Faces and people over time on real footage (click targets); null on a synthetic scene. */
  detections = $state<DetectionsView | null>(null);
  private detectionsLoaded = false;
  private mixerSeq = 0;
  private separateTimer: ReturnType<typeof setTimeout> | null = null;
  /** separation.start requests sent and not yet answered. */
  private startsInFlight = 0;
  /** This project's separation and stem-edit jobs seen queued or running and not yet finished. */
  private unfinished = new Set<string>();
  /**
   * The last separation (or stem edit) ended cancelled or failed and no other is running or due:
   * nothing is updating the stems, so the tracks must not say they are being separated.
   */
  separationStopped = $state(false);
  /** The time range on screen (set by the project screen): its preview is separated first. */
  visibleRange: () => { startSec: number; spanSec: number } = () => ({ startSec: 0, spanSec: Math.min(60, this.project.media.durationSec) });
  private offs: (() => void)[] = [];

  constructor(readonly project: ProjectView) {}

  get projectId(): number {
    return this.project.id;
  }

  async init(): Promise<void> {
    const c = client();
    this.offs.push(
      c.on('project.changed', (e) => {
        if (e.projectId !== this.projectId) return;
        if (e.what === 'analysis') {
          this.heat = null;
          this.detectionsLoaded = false;
        }
        if (e.what === 'export' && e.detail) this.lastExport = e.detail;
        void this.reload();
      }),
      c.on('job.progress', (job) => this.trackSeparation(job)),
    );
    await this.reload();
    // Also when the features are ready but the picture was not yet taken for a synthetic scene or
    // real footage under the current setting (then only that part runs).
    if (this.project.media.hasVideo && (this.state?.analysis !== 'ready' || this.state.scene.kind === null)) {
      await this.call(() => c.call('editor.analyze', { projectId: this.projectId }));
      await this.reload();
    }
  }

  destroy(): void {
    for (const off of this.offs) off();
    if (this.separateTimer) clearTimeout(this.separateTimer);
  }

  private async call<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      appState.fail(err);
      return undefined;
    }
  }

  private async apply(work: () => Promise<EditorState>): Promise<void> {
    const s = await this.call(work);
    if (s) this.state = s;
  }

  async reload(): Promise<void> {
    await this.apply(() => client().call('editor.state', { projectId: this.projectId }));
    await this.loadDetections();
  }

  private async loadDetections(): Promise<void> {
    if (this.state?.scene.kind !== 'real') {
      this.detections = null;
      return;
    }
    if (this.detectionsLoaded) return;
    this.detectionsLoaded = true;
    const d = await this.call(() => client().call('editor.detections', { projectId: this.projectId }));
    this.detections = d ?? null;
  }

  /** Auto / Synthetic scene / Real footage: stored with the project; the analysis follows it. */
  async setScene(scene: SceneSetting): Promise<void> {
    this.detectionsLoaded = false;
    this.detections = null;
    await this.apply(() => client().call('media.scene', { projectId: this.projectId, scene }));
    await this.loadDetections();
  }

  // ---- tracks ------------------------------------------------------------------------------------

  get tracks(): TrackView[] {
    const s = this.state;
    if (!s) return [];
    const out: TrackView[] = [];
    const stemOf = (sourceId: number | null) => s.stems.find((x) => x.sourceId === sourceId) ?? null;
    for (const src of s.sources) {
      out.push({ key: `source-${src.id}`, role: 'source', name: src.name, colour: src.colour, source: src, channel: s.channels.find((c) => c.sourceId === src.id) ?? null, stem: stemOf(src.id) });
    }
    if (s.stems.length > 0) {
      out.push({ key: 'residual', role: 'residual', name: 'Residual', colour: '#8d95a5', source: null, channel: s.channels.find((c) => c.role === 'residual') ?? null, stem: stemOf(null), parts: s.residualParts });
    }
    out.push({ key: 'original', role: 'original', name: 'Original', colour: ORIGINAL_COLOUR, source: null, channel: s.channels.find((c) => c.role === 'original') ?? null, stem: null });
    return out;
  }

  // ---- heatmaps ----------------------------------------------------------------------------------

  /** Heat values of the frame at `t` (rows*cols bytes), or null; fetches ahead as playback goes. */
  heatFrame(t: number): { grid: [number, number]; values: Uint8Array } | null {
    const h = this.heat;
    if (this.state?.analysis !== 'ready') return null;
    const frame = h ? Math.floor(t * h.fps) : 0;
    const inRange = h && this.heatBytes && frame >= h.firstFrame && frame < h.firstFrame + h.frameCount;
    const nearEnd = h && frame > h.firstFrame + h.frameCount - h.fps * 5 && h.firstFrame + h.frameCount < h.totalFrames;
    if ((!inRange || nearEnd) && !this.heatLoading) void this.loadHeat(Math.max(0, t - 2));
    if (!inRange || !h || !this.heatBytes) return null;
    const cells = h.grid[0] * h.grid[1];
    const i = frame - h.firstFrame;
    return { grid: h.grid, values: this.heatBytes.subarray(i * cells, (i + 1) * cells) };
  }

  private async loadHeat(fromSec: number): Promise<void> {
    this.heatLoading = true;
    try {
      const h = await client().call('editor.heatmaps', { projectId: this.projectId, fromSec, spanSec: HEAT_SPAN_SEC });
      if (h) {
        const bin = atob(h.data);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        this.heat = h;
        this.heatBytes = bytes;
        this.heatVersion++;
      }
    } catch {
      // the overlay is optional; the next frame asks again
    } finally {
      this.heatLoading = false;
    }
  }

  // ---- sources -----------------------------------------------------------------------------------

  /** A click in the picture: a new source, and a separation soon after (clicks are debounced). */
  /** className: what the clicked thing is, when the click says (a face is a speaker). */
  async addSource(x: number, y: number, timeSec: number, visible: { startSec: number; spanSec: number }, className?: string): Promise<void> {
    const before = new Set(this.state?.sources.map((s) => s.id));
    const click = ++this.clicks;
    await this.apply(() => client().call('sources.add', { projectId: this.projectId, x, y, timeSec, className }));
    // The newest new source: with two quick clicks in flight, the second answer holds both.
    const added = this.state?.sources.filter((s) => !before.has(s.id)).at(-1);
    // A refused click (main said why) changes nothing, so the stems need no new separation.
    if (!added) return;
    // The answers to quick clicks may arrive in any order: the last click's source stays selected.
    if (click === this.clicks) {
      this.selectedSourceId = added.id;
      this.selectedTrack = `source-${added.id}`;
    }
    this.scheduleSeparation(visible);
  }

  /** A source asked for by its class alone (audio-only files, sounds off screen): separated like a click. */
  async addByName(className: string): Promise<void> {
    const before = new Set(this.state?.sources.map((s) => s.id));
    await this.apply(() => client().call('sources.addByName', { projectId: this.projectId, className }));
    const added = this.state?.sources.filter((s) => !before.has(s.id)).at(-1);
    if (!added) return;
    this.select(added.id);
    this.scheduleSeparation({ startSec: 0, spanSec: Math.min(60, this.project.media.durationSec) });
  }

  /** What the source plays (null: not said); the source is separated again with its new query. */
  async setClass(sourceId: number, className: string | null): Promise<void> {
    await this.apply(() => client().call('sources.setClass', { projectId: this.projectId, sourceId, className }));
    this.resyncStems();
  }

  scheduleSeparation(visible: { startSec: number; spanSec: number }): void {
    if (this.separateTimer) clearTimeout(this.separateTimer);
    this.separationStopped = false;
    this.separateTimer = setTimeout(() => {
      this.separateTimer = null;
      if (!this.state?.sources.length) return;
      this.startsInFlight++;
      void this.call(() =>
        client().call('separation.start', {
          projectId: this.projectId,
          previewStartSec: visible.startSec,
          previewSpanSec: Math.max(1, Math.min(60, visible.spanSec)),
        }),
      ).then((started) => {
        this.startsInFlight--;
        // Refused (the banner says why): nothing is separating.
        if (!started && this.unfinished.size === 0 && !this.separationDue) this.separationStopped = true;
      });
    }, SEPARATION_DEBOUNCE_MS);
  }

  get pendingSeparation(): boolean {
    return this.separateTimer !== null;
  }

  async rename(sourceId: number, name: string): Promise<void> {
    if (!name.trim()) return;
    await this.apply(() => client().call('sources.rename', { projectId: this.projectId, sourceId, name: name.trim() }));
  }

  /** A dragged marker: the same source, now at (x, y) at timeSec, separated again there. */
  async move(sourceId: number, x: number, y: number, timeSec: number, visible: { startSec: number; spanSec: number }): Promise<void> {
    await this.apply(() => client().call('sources.move', { projectId: this.projectId, sourceId, x, y, timeSec }));
    this.select(sourceId);
    if (this.state?.stemsStale) this.scheduleSeparation(visible);
  }

  /** How much of the rest of the mix the source's stem keeps out; its stem and the residual are redone. */
  async setStrength(sourceId: number, strength: number): Promise<void> {
    await this.apply(() => client().call('sources.strength', { projectId: this.projectId, sourceId, strength }));
    this.resyncStems();
  }

  /** Move a time range of the source's stem to another source (its id) or the residual (null). */
  async moveRange(sourceId: number, range: { startSec: number; endSec: number }, to: number | null): Promise<void> {
    await this.apply(() => client().call('sources.moveRange', { projectId: this.projectId, sourceId, startSec: range.startSec, endSec: range.endSec, to }));
    this.resyncStems();
  }

  async remove(sourceId: number): Promise<void> {
    await this.apply(() => client().call('sources.remove', { projectId: this.projectId, sourceId }));
    if (this.selectedSourceId === sourceId) this.selectedSourceId = null;
    this.resyncStems();
  }

  /**
   * After a source is removed or edited (or an edit is undone) main may say the stems were made
   * for other sources (stemsStale): separate (or edit) again, the range on screen first.
   */
  private resyncStems(): void {
    const s = this.state;
    if (!s || s.sources.length === 0) return;
    if (s.stemsStale) this.scheduleSeparation(this.visibleRange());
    else if (this.separateTimer) {
      // Undone before the debounce ran out: the stems on screen fit again.
      clearTimeout(this.separateTimer);
      this.separateTimer = null;
    }
  }

  private trackSeparation(job: JobProgress): void {
    if (job.projectId !== this.projectId || (job.kind !== 'separation' && job.kind !== 'stem-edit')) return;
    if (finished(job)) this.unfinished.delete(job.jobId);
    else this.unfinished.add(job.jobId);
    this.separationStopped = this.unfinished.size === 0 && !this.separationDue && job.state !== 'done';
  }

  /** A separation is about to start: clicks are being debounced, or its request is on its way. */
  private get separationDue(): boolean {
    return this.separateTimer !== null || this.startsInFlight > 0;
  }

  /**
   * The stems do not fit the sources (or a source has none, or only a preview's) and nothing is
   * separating them: the user starts it again (separateAgain).
   */
  get needsSeparation(): boolean {
    const s = this.state;
    if (!s || !this.separationStopped || s.sources.length === 0) return false;
    return s.stemsStale || s.stems.some((x) => x.preview) || s.sources.some((src) => !s.stems.some((x) => x.sourceId === src.id));
  }

  /** After a cancelled or failed separation: separate the current sources, the range on screen first. */
  separateAgain(): void {
    this.scheduleSeparation(this.visibleRange());
  }

  select(sourceId: number | null): void {
    this.selectedSourceId = sourceId;
    if (sourceId !== null) this.selectedTrack = `source-${sourceId}`;
  }

  // ---- mixer -------------------------------------------------------------------------------------

  async setChannel(channelId: number, set: { gainDb?: number; pan?: number; mute?: boolean; solo?: boolean }): Promise<void> {
    // Optimistic: the sound changes at once; main's answer replaces it. Only the answer to the
    // latest change is shown: an earlier one arriving between quick key presses would move the
    // slider back, and the next press would step from there (presses lost).
    if (this.state) {
      this.state.channels = this.state.channels.map((c) => (c.id === channelId ? { ...c, ...set } : c));
    }
    const seq = ++this.mixerSeq;
    const s = await this.call(() => client().call('mixer.set', { projectId: this.projectId, channelId, ...set }));
    if (s && seq === this.mixerSeq) this.state = s;
  }

  async toggleSelected(field: 'mute' | 'solo'): Promise<void> {
    const t = this.tracks.find((x) => x.key === this.selectedTrack) ?? this.tracks[0];
    if (!t?.channel) return;
    await this.setChannel(t.channel.id, { [field]: !t.channel[field] });
  }

  async duck(sourceId: number): Promise<void> {
    await this.apply(() => client().call('mixer.duck', { projectId: this.projectId, sourceId, duckDb: this.duckDb }));
  }

  async setMonitor(monitor: 'mix' | 'original'): Promise<void> {
    if (this.state) this.state.monitor = monitor;
    await this.apply(() => client().call('mixer.monitor', { projectId: this.projectId, monitor }));
  }

  async undo(): Promise<void> {
    await this.apply(() => client().call('history.undo', { projectId: this.projectId }));
    this.resyncStems();
  }

  async redo(): Promise<void> {
    await this.apply(() => client().call('history.redo', { projectId: this.projectId }));
    this.resyncStems();
  }
}
