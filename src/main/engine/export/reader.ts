import { decodeAudioStream, type AudioChunk } from '../media/audio';

/**
 * Reads a stem (any format ffmpeg reads, resampled to `sampleRate`) in blocks of exactly the
 * frames asked for, zero-padded past its end and shifted by `leadFrames` of silence (a stem that
 * starts later than 0 s). Streaming: one decoded chunk in memory at a time.
 */
export class BlockReader {
  private readonly it: AsyncGenerator<AudioChunk>;
  private buf: Float32Array[] = [];
  private pos = 0;
  private ended = false;
  private lead: number;

  constructor(file: string, readonly channels: number, sampleRate: number, leadFrames = 0, signal?: AbortSignal) {
    this.it = decodeAudioStream(file, { sampleRate, channels, signal });
    this.lead = Math.max(0, Math.round(leadFrames));
  }

  async read(frames: number): Promise<Float32Array[]> {
    const out = Array.from({ length: this.channels }, () => new Float32Array(frames));
    let filled = Math.min(frames, this.lead);
    this.lead -= filled;
    while (filled < frames) {
      const avail = (this.buf[0]?.length ?? 0) - this.pos;
      if (avail <= 0) {
        if (this.ended) break;
        const next = await this.it.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.buf = next.value.channels;
        this.pos = 0;
        continue;
      }
      const take = Math.min(avail, frames - filled);
      for (let c = 0; c < this.channels; c++) out[c].set(this.buf[c].subarray(this.pos, this.pos + take), filled);
      this.pos += take;
      filled += take;
    }
    return out;
  }

  /** Drop the next `frames` frames: a region export starts inside the file, at exactly this frame. */
  async skip(frames: number): Promise<void> {
    for (let left = Math.max(0, Math.round(frames)); left > 0; ) {
      const n = Math.min(left, 65536);
      await this.read(n);
      left -= n;
    }
  }

  async close(): Promise<void> {
    await this.it.return(undefined);
  }
}
