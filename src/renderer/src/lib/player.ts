/**
 * Remix playback. Web Audio is the clock: every track is a chain gain -> pan -> master, fed by
 * AudioBufferSourceNodes scheduled back to back at exact sample times of one AudioContext, so the
 * tracks cannot drift against each other. The video is muted and follows this clock: Transport
 * (below) nudges its playbackRate or seeks it when it strays.
 *
 * Memory: tracks are WAV files read by byte range (through the client) in CHUNK_SEC blocks, and only the blocks
 * around the playhead are decoded (a few seconds per track), so a 60-minute project holds about
 * the same memory as a 10-second one. The context runs at the media's rate, so blocks join
 * without resampling seams.
 */

import { heardMediaTime, OffsetSteer } from './av-sync';
import { kWeight } from '../../../shared/loudness';
import type { AudioBytes } from './client';
import { momentaryLufs, peakOf, type MeterTaps } from './meters.svelte';

const CHUNK_SEC = 4;
const AHEAD_SEC = 10;
const START_DELAY = 0.12;

export interface TrackSource {
  /** Audio key of a WAV file (16/24-bit PCM or 32-bit float) main serves in byte ranges. */
  audioKey: string;
  /** Media time of the file's first frame (previews start later than 0). */
  offsetSec: number;
}

interface WavLayout {
  sampleRate: number;
  channels: number;
  bits: number;
  float: boolean;
  dataOffset: number;
  frames: number;
}

interface Track {
  src: TrackSource;
  layout: Promise<WavLayout | null>;
  gain: GainNode;
  pan: StereoPannerNode;
  /** Post-fader taps for the track's meter. */
  tap: StereoTap;
  chunks: Map<number, Promise<AudioBuffer | null>>;
  playing: AudioBufferSourceNode[];
  scheduledUntil: number; // chunk index
}

/**
 * Reads the latest samples of a stereo signal without changing it: a splitter into one analyser
 * per channel (an analyser alone would mix the channels down and hide a clip on one side).
 */
class StereoTap {
  readonly input: ChannelSplitterNode;
  private readonly analysers: AnalyserNode[];
  private readonly data: Float32Array<ArrayBuffer>[];

  constructor(ctx: BaseAudioContext, size: number) {
    this.input = ctx.createChannelSplitter(2);
    this.analysers = [0, 1].map((c) => {
      const a = ctx.createAnalyser();
      a.fftSize = size;
      this.input.connect(a, c);
      return a;
    });
    this.data = this.analysers.map((a) => new Float32Array(a.fftSize));
  }

  /** The last `size` samples of each channel (the arrays are reused between calls). */
  read(): Float32Array[] {
    this.analysers.forEach((a, c) => a.getFloatTimeDomainData(this.data[c]));
    return this.data;
  }

  disconnect(): void {
    this.input.disconnect();
  }
}

/** Peak taps hold 85 ms at 48 kHz, more than the meters' 50 ms between reads, so no peak slips between two. */
const PEAK_TAP = 4096;

export interface TrackParams {
  gain: number;
  pan: number;
}

/** Reads bytes first..last of the audio behind a key (the client's readAudio). */
export type ReadAudio = (audioKey: string, first: number, last: number) => Promise<AudioBytes | null>;

async function readLayout(read: ReadAudio, audioKey: string): Promise<WavLayout | null> {
  const res = await read(audioKey, 0, 65535);
  if (!res) return null;
  const total = res.total;
  const buf = new DataView(res.bytes);
  const tag = (o: number) => String.fromCharCode(buf.getUint8(o), buf.getUint8(o + 1), buf.getUint8(o + 2), buf.getUint8(o + 3));
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let o = 12;
  let fmt: Omit<WavLayout, 'dataOffset' | 'frames'> | null = null;
  while (o + 8 <= buf.byteLength) {
    const id = tag(o);
    const size = buf.getUint32(o + 4, true);
    if (id === 'fmt ') {
      let format = buf.getUint16(o + 8, true);
      const channels = buf.getUint16(o + 10, true);
      const sampleRate = buf.getUint32(o + 12, true);
      const bits = buf.getUint16(o + 22, true);
      if (format === 0xfffe && size >= 40) format = buf.getUint16(o + 32, true); // extensible
      fmt = { sampleRate, channels, bits, float: format === 3 };
    } else if (id === 'data' && fmt) {
      const dataOffset = o + 8;
      const bytes = Math.min(size, Math.max(0, total - dataOffset));
      return { ...fmt, dataOffset, frames: Math.floor(bytes / (fmt.channels * (fmt.bits / 8))) };
    }
    o += 8 + size + (size & 1);
  }
  return null;
}

function decodePcm(ctx: BaseAudioContext, l: WavLayout, bytes: ArrayBuffer): AudioBuffer | null {
  const bps = l.bits / 8;
  const frames = Math.floor(bytes.byteLength / (bps * l.channels));
  if (frames <= 0) return null;
  const out = ctx.createBuffer(Math.min(2, l.channels), frames, l.sampleRate);
  const dv = new DataView(bytes);
  for (let c = 0; c < out.numberOfChannels; c++) {
    const ch = out.getChannelData(c);
    for (let i = 0; i < frames; i++) {
      const o = (i * l.channels + c) * bps;
      if (l.float) ch[i] = dv.getFloat32(o, true);
      else if (bps === 2) ch[i] = dv.getInt16(o, true) / 32768;
      else if (bps === 3) ch[i] = ((dv.getUint8(o) | (dv.getUint8(o + 1) << 8) | (dv.getInt8(o + 2) << 16)) / 8388608);
      else ch[i] = dv.getInt32(o, true) / 2147483648;
    }
  }
  return out;
}

export class Player implements MeterTaps {
  readonly ctx: AudioContext;
  private readonly master: GainNode;
  private readonly masterTap: StereoTap;
  /** The master through BS.1770's K-weighting, for the momentary loudness. */
  private readonly loudnessTap: StereoTap;
  private readonly tracks = new Map<string, Track>();
  private t0 = 0; // context time of media time `from`
  private from = 0;
  private pausedAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Counts play() and pause() calls, so a start still waiting for the context can tell it was superseded. */
  private generation = 0;
  /** Between play() and the context running: the playhead waits at `from` with no sound yet. */
  private starting = false;
  playing = false;

  constructor(
    sampleRate: number | null,
    private readonly read: ReadAudio,
  ) {
    // At the media's rate the stems' blocks join sample-exactly with no resampling in between.
    let ctx: AudioContext;
    try {
      ctx = new AudioContext(sampleRate ? { sampleRate, latencyHint: 'playback' } : { latencyHint: 'playback' });
    } catch {
      ctx = new AudioContext();
    }
    this.ctx = ctx;
    this.master = ctx.createGain();
    this.master.connect(ctx.destination);
    this.masterTap = new StereoTap(ctx, PEAK_TAP);
    this.master.connect(this.masterTap.input);
    // 400 ms fits in the largest analyser (32768 frames) up to 81 kHz. The K-weighting runs on
    // what the tap holds (masterMomentaryLufs): IIRFilterNodes before the tap left it without a
    // reading in Chromium.
    this.loudnessTap = new StereoTap(ctx, Math.min(32768, 2 ** Math.ceil(Math.log2(0.4 * ctx.sampleRate))));
    this.master.connect(this.loudnessTap.input);
  }

  trackPeak(key: string): number | null {
    const t = this.tracks.get(key);
    return t ? peakOf(t.tap.read()) : null;
  }

  masterPeak(): number {
    return peakOf(this.masterTap.read());
  }

  masterMomentaryLufs(): number {
    // Filtered over the whole tap (more than 400 ms) so the filters have settled by the last 400 ms.
    return momentaryLufs(kWeight(this.loudnessTap.read(), this.ctx.sampleRate), Math.round(0.4 * this.ctx.sampleRate));
  }

  /** Add or replace a track (same key and URL: kept as is). */
  setTrack(key: string, src: TrackSource): void {
    const old = this.tracks.get(key);
    if (old && old.src.audioKey === src.audioKey && old.src.offsetSec === src.offsetSec) return;
    if (old) this.removeTrack(key);
    const gain = this.ctx.createGain();
    const pan = this.ctx.createStereoPanner();
    gain.connect(pan).connect(this.master);
    const tap = new StereoTap(this.ctx, PEAK_TAP);
    pan.connect(tap.input);
    const t: Track = { src, layout: readLayout(this.read, src.audioKey).catch(() => null), gain, pan, tap, chunks: new Map(), playing: [], scheduledUntil: 0 };
    this.tracks.set(key, t);
    if (this.playing) {
      t.scheduledUntil = Math.floor(this.position() / CHUNK_SEC);
      void this.scheduleTrack(t, this.position(), true);
    }
  }

  removeTrack(key: string): void {
    const t = this.tracks.get(key);
    if (!t) return;
    for (const n of t.playing) n.stop();
    t.gain.disconnect();
    t.pan.disconnect();
    t.tap.disconnect();
    this.tracks.delete(key);
  }

  keys(): string[] {
    return [...this.tracks.keys()];
  }

  /** Live mixer change: short ramps so a fader move never clicks. */
  setParams(key: string, p: TrackParams): void {
    const t = this.tracks.get(key);
    if (!t) return;
    const now = this.ctx.currentTime;
    t.gain.gain.setTargetAtTime(p.gain, now, 0.015);
    t.pan.pan.setTargetAtTime(Math.max(-1, Math.min(1, p.pan)), now, 0.015);
  }

  /** Current media time by the audio clock. */
  position(): number {
    if (!this.playing) return this.pausedAt;
    return Math.max(0, this.from + (this.ctx.currentTime - this.t0));
  }

  /**
   * Media time of the sound at the speakers at performance.now() = `perfMs` (see av-sync.ts); NaN
   * while play() waits for the audio context, when no sound is on its way yet.
   */
  heardAt(perfMs: number): number {
    if (!this.playing) return this.starting ? NaN : this.pausedAt;
    const ts = this.ctx.getOutputTimestamp?.() ?? {};
    const clock = { ...ts, currentTime: this.ctx.currentTime, outputLatency: this.ctx.outputLatency ?? 0, baseLatency: this.ctx.baseLatency ?? 0 };
    return heardMediaTime({ from: this.from, t0: this.t0 }, clock, perfMs, performance.now());
  }

  async play(from: number): Promise<void> {
    if (this.playing) this.stopNodes();
    this.playing = false;
    this.pausedAt = Math.max(0, from);
    this.starting = true;
    const generation = ++this.generation;
    await this.ctx.resume().catch(() => undefined);
    if (generation !== this.generation) return; // paused or restarted meanwhile
    this.starting = false;
    this.from = Math.max(0, from);
    // Start on a sample boundary so every block lands on exact frames.
    const sr = this.ctx.sampleRate;
    this.t0 = Math.ceil((this.ctx.currentTime + START_DELAY) * sr) / sr;
    this.playing = true;
    for (const t of this.tracks.values()) {
      t.scheduledUntil = Math.floor(this.from / CHUNK_SEC);
      void this.scheduleTrack(t, this.from, true);
    }
    this.timer ??= setInterval(() => this.tick(), 250);
  }

  pause(): void {
    this.generation++;
    this.starting = false;
    if (!this.playing) return;
    this.pausedAt = this.position();
    this.playing = false;
    this.stopNodes();
  }

  seek(t: number): void {
    if (this.playing || this.starting) void this.play(t);
    else this.pausedAt = Math.max(0, t);
  }

  private stopNodes(): void {
    for (const t of this.tracks.values()) {
      for (const n of t.playing) {
        try {
          n.stop();
        } catch {
          // not started yet
        }
      }
      t.playing = [];
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (!this.playing) return;
    const pos = this.position();
    for (const t of this.tracks.values()) {
      void this.scheduleTrack(t, pos, false);
      // Forget blocks well behind the playhead.
      for (const k of t.chunks.keys()) if ((k + 1) * CHUNK_SEC < pos - CHUNK_SEC) t.chunks.delete(k);
    }
  }

  private chunk(t: Track, l: WavLayout, k: number): Promise<AudioBuffer | null> {
    let p = t.chunks.get(k);
    if (!p) {
      // Block k covers media time [k*C, (k+1)*C), i.e. file frames shifted by the track's offset.
      const first = Math.round((k * CHUNK_SEC - t.src.offsetSec) * l.sampleRate);
      const last = Math.round(((k + 1) * CHUNK_SEC - t.src.offsetSec) * l.sampleRate);
      const a = Math.max(0, first);
      const b = Math.min(l.frames, last);
      if (b <= a) p = Promise.resolve(null);
      else {
        const frameBytes = l.channels * (l.bits / 8);
        p = this.read(t.src.audioKey, l.dataOffset + a * frameBytes, l.dataOffset + b * frameBytes - 1)
          .then((r) => (r ? decodePcm(this.ctx, l, r.bytes) : null))
          .catch(() => null);
      }
      t.chunks.set(k, p);
    }
    return p;
  }

  private async scheduleTrack(t: Track, pos: number, _fromStart: boolean): Promise<void> {
    const l = await t.layout;
    if (!l || !this.playing) return;
    const lastK = Math.floor((pos + AHEAD_SEC) / CHUNK_SEC);
    const startedAt = this.t0;
    for (let k = t.scheduledUntil; k <= lastK; k++) {
      t.scheduledUntil = k + 1;
      const buf = await this.chunk(t, l, k);
      if (!this.playing || startedAt !== this.t0) return; // seeked meanwhile
      if (!buf) continue;
      // Media time of the buffer's first frame, and where that falls on the context clock.
      const bufStart = Math.max(k * CHUNK_SEC, t.src.offsetSec);
      const when = this.t0 + (bufStart - this.from);
      const node = this.ctx.createBufferSource();
      node.buffer = buf;
      node.connect(t.gain);
      // The first block usually starts before the playhead: play it from the right offset.
      const now = this.ctx.currentTime;
      let at = Math.max(when, this.t0);
      let off = at - when;
      if (at < now) {
        off += now - at; // late (a slow fetch): join in time rather than shift this track
        at = now;
      }
      if (off >= buf.duration) continue;
      node.start(at, off);
      t.playing.push(node);
      node.onended = () => {
        t.playing = t.playing.filter((n) => n !== node);
      };
    }
  }

  async close(): Promise<void> {
    this.pause();
    for (const k of this.keys()) this.removeTrack(k);
    await this.ctx.close().catch(() => undefined);
  }
}

/** What the transport plays: one entry per track, with its level. */
export interface MixTrack extends TrackSource, TrackParams {
  key: string;
}

export interface TransportState {
  playing: boolean;
  /** Media time of the playhead in seconds. */
  time: number;
}

type Picture = Pick<HTMLVideoElement, 'currentTime' | 'playbackRate' | 'paused' | 'play' | 'pause' | 'dataset'> &
  Partial<Pick<HTMLVideoElement, 'requestVideoFrameCallback' | 'cancelVideoFrameCallback'>>;

/** A time range of the media, in seconds. */
export interface TimeRange {
  startSec: number;
  endSec: number;
}

/**
 * Where the browser cannot report the frames it shows: bring the muted picture to the sound heard
 * (media time `heard`): re-seek when it is far off, else nudge its rate so it catches up without
 * a visible jump. Returns the drift (picture minus sound).
 */
export function followClock(v: Picture, heard: number): number {
  const drift = v.currentTime - heard;
  v.dataset.drift = drift.toFixed(3); // for tests and bug reports
  if (Math.abs(drift) > 0.25) v.currentTime = heard;
  else v.playbackRate = Math.abs(drift) < 0.02 ? 1 : 1 - Math.max(-0.08, Math.min(0.08, drift * 0.8));
  if (v.paused) void v.play().catch(() => undefined);
  return drift;
}

/**
 * Play, pause and seek for the editor. The audio clock leads: while playing, every animation
 * frame moves the playhead to it, and every frame of the picture is steered to the sound at the
 * speakers (av-sync.ts; followClock where the browser cannot report frames). Also loops a time
 * range and shuttles backwards (J: silent, the picture follows). The screen hears of each change
 * through `onchange`.
 */
export class Transport {
  private state: TransportState = { playing: false, time: 0 };
  private raf = 0;
  private frameCb = 0;
  private loop: TimeRange | null = null;
  private readonly steer = new OffsetSteer();
  /** Backward shuttle speed (1, 2, 4) while J runs, else 0. */
  private back = 0;

  constructor(
    private readonly player: Player,
    private readonly durationSec: number,
    private readonly picture: () => Picture | undefined,
    private readonly onchange: (s: TransportState) => void,
  ) {}

  get playing(): boolean {
    return this.state.playing;
  }

  get time(): number {
    return this.state.time;
  }

  /** Keep the player's tracks and levels equal to `tracks` (live while playing). */
  mix(tracks: readonly MixTrack[]): void {
    const want = new Map(tracks.map((t) => [t.key, t] as const));
    for (const k of this.player.keys()) if (!want.has(k)) this.player.removeTrack(k);
    for (const t of tracks) {
      this.player.setTrack(t.key, { audioKey: t.audioKey, offsetSec: t.offsetSec });
      this.player.setParams(t.key, { gain: t.gain, pan: t.pan });
    }
  }

  /** Loop this range while playing (null: play through). */
  setLoop(range: TimeRange | null): void {
    this.loop = range && range.endSec - range.startSec >= 0.05 ? range : null;
  }

  play(): void {
    const v = this.picture();
    if (!v) return;
    this.stopShuttle();
    let from = this.state.time >= this.durationSec - 0.05 ? 0 : this.state.time;
    if (this.loop && (from < this.loop.startSec || from >= this.loop.endSec - 0.02)) from = this.loop.startSec;
    this.start(v, from);
    this.set({ playing: true, time: from });
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame(this.tick);
  }

  /** Audio from `from`; the picture waits there and starts as the sound reaches it (tick). */
  private start(v: Picture, from: number): void {
    void this.player.play(from);
    v.pause();
    v.currentTime = from;
    v.playbackRate = 1;
    this.steer.reset();
    if (v.requestVideoFrameCallback) {
      v.cancelVideoFrameCallback?.(this.frameCb);
      this.frameCb = v.requestVideoFrameCallback(this.onFrame);
    }
  }

  pause(): void {
    cancelAnimationFrame(this.raf);
    this.stopShuttle();
    const pos = this.player.position();
    this.player.pause();
    const v = this.picture();
    let time = this.state.time;
    if (v) {
      v.pause();
      v.cancelVideoFrameCallback?.(this.frameCb);
      v.playbackRate = 1;
      // Stop where the picture is (it is within a frame or two of the audio clock); re-seek only
      // if it had strayed, so the frame on screen is the one the next play starts from.
      if (Math.abs(v.currentTime - pos) > 0.05) v.currentTime = pos;
      this.player.seek(v.currentTime);
      time = v.currentTime;
    }
    this.set({ playing: false, time });
  }

  toggle(): void {
    if (this.state.playing) this.pause();
    else this.play();
  }

  seek(t: number): void {
    this.stopShuttle();
    t = Math.max(0, Math.min(this.durationSec, t));
    this.player.seek(t);
    const v = this.picture();
    if (v) v.currentTime = t;
    if (this.state.playing && v) this.start(v, t);
    this.set({ ...this.state, time: t });
  }

  /**
   * J/L: L plays forward (and ends a backward shuttle); J shuttles backwards, faster on each
   * press (1x, 2x, 4x). Backwards is silent: the audio graph plays forward only.
   */
  shuttle(direction: 1 | -1): void {
    if (direction > 0) {
      if (this.back || !this.state.playing) this.play();
      return;
    }
    if (this.state.playing) this.pause();
    const speed = this.back ? Math.min(4, this.back * 2) : 1;
    this.stopShuttle();
    this.back = speed;
    let last = performance.now();
    const step = (now: number) => {
      if (!this.back) return;
      const t = Math.max(0, this.state.time - ((now - last) / 1000) * this.back);
      last = now;
      this.player.seek(t);
      const v = this.picture();
      if (v) v.currentTime = t;
      this.set({ playing: false, time: t });
      if (t > 0) this.raf = requestAnimationFrame(step);
      else this.back = 0;
    };
    this.raf = requestAnimationFrame(step);
  }

  private stopShuttle(): void {
    if (!this.back) return;
    this.back = 0;
    cancelAnimationFrame(this.raf);
  }

  async close(): Promise<void> {
    cancelAnimationFrame(this.raf);
    this.picture()?.cancelVideoFrameCallback?.(this.frameCb);
    await this.player.close();
  }

  /** Each frame shown: how far it is from the sound heard at that moment, and steer the picture. */
  private readonly onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
    const v = this.picture();
    if (!v || !this.state.playing) return;
    this.frameCb = v.requestVideoFrameCallback!(this.onFrame);
    // A frame shown before the picture starts (the seek to where play begins) is no measure.
    if (v.paused) return;
    const heard = this.player.heardAt(meta.expectedDisplayTime);
    if (!Number.isFinite(heard) || heard < 0 || heard > this.durationSec) return; // not started, or no clock
    const offset = meta.mediaTime - heard;
    // For tests and bug reports, picture minus sound: this frame's (ms), and smoothed (s).
    v.dataset.avOffset = (offset * 1000).toFixed(1);
    const out = this.steer.frame(offset, meta.expectedDisplayTime / 1000);
    v.dataset.drift = (this.steer.offset ?? offset).toFixed(3);
    if ('reseek' in out) v.currentTime = Math.min(this.durationSec, Math.max(0, this.player.heardAt(performance.now()) + out.lead));
    else v.playbackRate = out.rate;
  };

  private readonly tick = (): void => {
    const v = this.picture();
    if (v) {
      const now = performance.now();
      const pos = this.player.position();
      const heard = this.player.heardAt(now); // NaN until the sound is on its way
      // Where the sound at the speakers is, for tests that measure lip sync from the page.
      if (Number.isFinite(heard)) v.dataset.heard = `${now.toFixed(2)} ${heard.toFixed(4)}`;
      if (this.loop && pos >= this.loop.endSec) {
        this.start(v, this.loop.startSec);
        this.set({ ...this.state, time: this.loop.startSec });
        this.raf = requestAnimationFrame(this.tick);
        return;
      }
      if (pos >= this.durationSec) {
        this.set({ ...this.state, time: pos });
        this.pause();
        return;
      }
      this.set({ ...this.state, time: pos });
      if (!Number.isFinite(heard)) {
        // The sound is not on its way yet: the picture waits.
      } else if (!v.requestVideoFrameCallback) followClock(v, heard);
      // The picture starts so that its first frame meets the sound (the audio starts a little
      // after play() so that every track's first block is scheduled on time).
      else if (v.paused && heard >= v.currentTime - this.steer.playLead) {
        this.steer.started();
        void v.play().catch(() => undefined);
      }
    }
    this.raf = requestAnimationFrame(this.tick);
  };

  private set(s: TransportState): void {
    this.state = s;
    this.onchange(s);
  }
}
