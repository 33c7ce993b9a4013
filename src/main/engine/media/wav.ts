import { AppError } from '../../../shared/errors';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { WAV_FORMATS, type WavFormat } from '../../../shared/mixer';
import { createAtomicWriter } from '../fs/atomic';

/** WAV read/write: PCM 8/16/24/32-bit, IEEE float 32/64 (read); wav16, wav24, f32 (write). */

export { WAV_FORMATS, type WavFormat };

export interface WavAudio {
  sampleRate: number;
  /** One array per channel, samples in [-1, 1) for integer formats. */
  channels: Float32Array[];
}

export interface WavInfo extends WavAudio {
  bitsPerSample: number;
  float: boolean;
}

/**
 * Why a WAV could not be used: NOT_WAV (not RIFF/WAVE) and ENCODING (an encoding this reader does
 * not decode) leave the file to another decoder (ffmpeg); INVALID is anything else.
 */
export type WavErrorReason = 'NOT_WAV' | 'ENCODING' | 'INVALID';

export class WavError extends AppError {
  override name = 'WavError';
  constructor(
    message: string,
    readonly reason: WavErrorReason = 'INVALID',
  ) {
    super('media_error', message);
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Where a WAV's samples are and how they are encoded. */
export interface WavLayout {
  sampleRate: number;
  channels: number;
  bits: number;
  float: boolean;
  /** Byte offset of the first sample, and how many bytes of samples follow. */
  dataStart: number;
  dataBytes: number;
}

/**
 * Read a WAV's header from its first bytes (all chunks before 'data'). `fileBytes` is the whole
 * file's size when buf holds only its start, so a header that claims too much is clipped to it.
 */
export function parseWavLayout(buf: Uint8Array, name = 'WAV data', fileBytes = buf.length): WavLayout {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (o: number) => String.fromCharCode(buf[o], buf[o + 1], buf[o + 2], buf[o + 3]);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavError(`${name} is not a RIFF/WAVE file`, 'NOT_WAV');
  let fmt: { format: number; channels: number; rate: number; bits: number; align: number } | null = null;
  let dataStart = -1;
  let dataLen = 0;
  let o = 12;
  while (o + 8 <= buf.length) {
    const id = tag(o);
    let size = view.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavError(`${name} has a malformed fmt chunk`);
      let format = view.getUint16(body, true);
      const bits = view.getUint16(body + 14, true);
      if (format === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40) throw new WavError(`${name} has a malformed extensible fmt chunk`);
        format = view.getUint16(body + 24, true); // first two bytes of the SubFormat GUID
      }
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits, align: view.getUint16(body + 12, true) };
    } else if (id === 'data') {
      dataStart = body;
      // Streamed WAVs (written to a pipe) carry 0 or 0xFFFFFFFF: take everything to the end.
      if (size === 0 || size === 0xffffffff || body + size > fileBytes) size = fileBytes - body;
      dataLen = size;
      break;
    }
    o = body + size + (size & 1);
  }
  if (!fmt) throw new WavError(`${name} has no fmt chunk`);
  if (dataStart < 0) throw new WavError(`${name} has no data chunk`);
  const { format, channels: nch, rate, bits } = fmt;
  if (nch < 1) throw new WavError(`${name} declares no channels`);
  const isFloat = format === WAVE_FORMAT_IEEE_FLOAT;
  if (!(format === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits)) && !(isFloat && (bits === 32 || bits === 64))) {
    throw new WavError(`${name} uses an unsupported WAV encoding (format ${format}, ${bits}-bit); convert it to 16/24-bit PCM or 32-bit float`, 'ENCODING');
  }
  return { sampleRate: rate, channels: nch, bits, float: isFloat, dataStart, dataBytes: dataLen };
}

/** Sample at byte p of a WAV's data, as a float in -1..1. */
function sampleAt(view: DataView, buf: Uint8Array, p: number, bits: number, isFloat: boolean): number {
  if (isFloat) return bits === 32 ? view.getFloat32(p, true) : view.getFloat64(p, true);
  if (bits === 16) return view.getInt16(p, true) / 32768;
  if (bits === 24) return ((buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) << 8 >> 8) / 8388608;
  if (bits === 32) return view.getInt32(p, true) / 2147483648;
  return (buf[p] - 128) / 128;
}

/** Parse a complete WAV file held in memory. */
export function parseWav(buf: Uint8Array, name = 'WAV data'): WavInfo {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { sampleRate: rate, channels: nch, bits, float: isFloat, dataStart, dataBytes: dataLen } = parseWavLayout(buf, name);
  const bytes = bits / 8;
  const frameBytes = bytes * nch;
  const frames = Math.floor(dataLen / frameBytes);
  const channels = Array.from({ length: nch }, () => new Float32Array(frames));
  let p = dataStart;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++, p += bytes) channels[c][i] = sampleAt(view, buf, p, bits, isFloat);
  }
  return { sampleRate: rate, channels, bitsPerSample: bits, float: isFloat };
}

export async function readWav(path: string): Promise<WavInfo> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WavError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${code ?? String(err)})`);
  }
  return parseWav(buf, path);
}

function formatParams(format: WavFormat) {
  switch (format) {
    case 'wav16':
      return { bits: 16, tag: WAVE_FORMAT_PCM };
    case 'wav24':
      return { bits: 24, tag: WAVE_FORMAT_PCM };
    case 'f32':
      return { bits: 32, tag: WAVE_FORMAT_IEEE_FLOAT };
    default:
      throw new WavError(`unknown WAV format '${String(format)}' (use ${WAV_FORMATS.join(', ')})`);
  }
}

/**
 * Random access to a WAV file on disk: reads only the frames asked for, so a view of a long file
 * costs what it shows, not the file's length.
 */
export class WavRangeReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly layout: WavLayout,
  ) {}

  static async open(file: string): Promise<WavRangeReader> {
    const fh = await fsp.open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.alloc(Math.min(size, 65536));
      await fh.read(head, 0, head.length, 0);
      return new WavRangeReader(fh, parseWavLayout(head, file, size));
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get frames(): number {
    const l = this.layout;
    return Math.floor(l.dataBytes / ((l.bits / 8) * l.channels));
  }

  /** Frames [first, first + count) mixed down to mono; zeros outside the file. */
  async readMono(first: number, count: number, out = new Float32Array(count)): Promise<Float32Array> {
    out.fill(0);
    const a = Math.max(0, first);
    const b = Math.min(this.frames, first + count);
    if (b <= a) return out;
    const { bits, channels, float, dataStart } = this.layout;
    const bytes = bits / 8;
    const frameBytes = bytes * channels;
    const buf = Buffer.alloc((b - a) * frameBytes);
    await this.fh.read(buf, 0, buf.length, dataStart + a * frameBytes);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0, p = 0; i < b - a; i++) {
      let sum = 0;
      for (let c = 0; c < channels; c++, p += bytes) sum += sampleAt(view, buf, p, bits, float);
      out[a - first + i] = sum / channels;
    }
    return out;
  }

  /** Frames [first, first + count), one array per channel; zeros outside the file. */
  async readFrames(first: number, count: number): Promise<Float32Array[]> {
    const { bits, channels, float, dataStart } = this.layout;
    const out = Array.from({ length: channels }, () => new Float32Array(count));
    const a = Math.max(0, first);
    const b = Math.min(this.frames, first + count);
    if (b <= a) return out;
    const bytes = bits / 8;
    const buf = Buffer.alloc((b - a) * bytes * channels);
    await this.fh.read(buf, 0, buf.length, dataStart + a * bytes * channels);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0, p = 0; i < b - a; i++) for (let c = 0; c < channels; c++, p += bytes) out[c][a - first + i] = sampleAt(view, buf, p, bits, float);
    return out;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Header for `dataBytes` of audio; WAVE_FORMAT_EXTENSIBLE when more than 2 channels. */
export function wavHeader(sampleRate: number, channels: number, format: WavFormat, dataBytes: number): Buffer {
  const { bits, tag } = formatParams(format);
  const extensible = channels > 2;
  const fmtSize = extensible ? 40 : 16;
  const header = Buffer.alloc(12 + 8 + fmtSize + 8);
  const align = (bits / 8) * channels;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(4 + 8 + fmtSize + 8 + dataBytes + (dataBytes & 1), 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(fmtSize, 16);
  header.writeUInt16LE(extensible ? WAVE_FORMAT_EXTENSIBLE : tag, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * align, 28);
  header.writeUInt16LE(align, 32);
  header.writeUInt16LE(bits, 34);
  let o = 36;
  if (extensible) {
    header.writeUInt16LE(22, 36); // cbSize
    header.writeUInt16LE(bits, 38); // valid bits
    header.writeUInt32LE(0, 40); // channel mask: unspecified
    // SubFormat GUID: {0000xxxx-0000-0010-8000-00aa00389b71}
    header.writeUInt16LE(tag, 44);
    Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(header, 46);
    o = 60;
  }
  header.write('data', o, 'ascii');
  header.writeUInt32LE(dataBytes, o + 4);
  return header;
}

/** Interleave and encode one chunk; integer formats are clipped to their range. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One channel into interleaved 16-bit samples (round to nearest, clipped; NaN -> 0). */
function encode16(src: Float32Array | Float64Array, v16: Int16Array, c: number, nch: number, frames: number): void {
  for (let i = 0, p = c; i < frames; i++, p += nch) {
    const v = Math.round(src[i] * 32768);
    v16[p] = v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0;
  }
}

export function encodeSamples(channels: ArrayLike<number>[], format: WavFormat): Buffer {
  const { bits } = formatParams(format);
  const nch = channels.length;
  const frames = nch ? channels[0].length : 0;
  for (const c of channels) if (c.length !== frames) throw new WavError('all channels of a chunk must have the same length');
  const bytes = bits / 8;
  if (LITTLE_ENDIAN && (format === 'wav16' || format === 'f32')) {
    // Typed-array fast paths (the data chunk is little-endian, like the machine).
    const buf = new ArrayBuffer(frames * nch * bytes);
    if (format === 'f32') {
      const f = new Float32Array(buf);
      for (let c = 0; c < nch; c++) {
        const src = channels[c];
        if (src instanceof Float32Array) for (let i = 0, p = c; i < frames; i++, p += nch) f[p] = src[i];
        else for (let i = 0, p = c; i < frames; i++, p += nch) f[p] = src[i];
      }
    } else {
      const v16 = new Int16Array(buf);
      for (let c = 0; c < nch; c++) {
        const src = channels[c];
        if (src instanceof Float32Array) encode16(src, v16, c, nch, frames);
        else encode16(Float64Array.from(src), v16, c, nch, frames);
      }
    }
    return Buffer.from(buf);
  }
  const out = Buffer.alloc(frames * nch * bytes);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let p = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++, p += bytes) {
      const x = channels[c][i];
      if (format === 'f32') {
        dv.setFloat32(p, x, true);
      } else if (format === 'wav16') {
        const v = Math.round(x * 32768);
        dv.setInt16(p, v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0, true);
      } else {
        let v = Math.round(x * 8388608);
        v = v > 8388607 ? 8388607 : v < -8388608 ? -8388608 : v || 0;
        out[p] = v & 0xff;
        out[p + 1] = (v >> 8) & 0xff;
        out[p + 2] = (v >> 16) & 0xff;
      }
    }
  }
  return out;
}

export interface WavWriterOptions {
  sampleRate: number;
  channels: number;
  format: WavFormat;
}

export interface WavWriter {
  /** Append a chunk: one array per channel, equal lengths. */
  write(channels: ArrayLike<number>[]): Promise<void>;
  /** Patch the header and move the complete file into place. */
  close(): Promise<void>;
  /** Discard the partial file; the target path is untouched. */
  abort(): Promise<void>;
  readonly framesWritten: number;
  /** Samples beyond what an integer format can hold, written clipped (always 0 for f32). */
  readonly clippedSamples: number;
}

/** How many samples of a chunk exceed the range of an integer format. */
function countClipped(chunk: ArrayLike<number>[], format: WavFormat): number {
  if (format === 'f32') return 0;
  const { bits } = formatParams(format);
  // Values that round past the largest positive or the most negative code.
  const scale = 2 ** (bits - 1);
  const top = (scale - 0.5) / scale;
  const bottom = -(scale + 0.5) / scale;
  let n = 0;
  for (const ch of chunk) for (let i = 0; i < ch.length; i++) if (ch[i] >= top || ch[i] < bottom) n++;
  return n;
}

const MAX_RIFF_DATA = 0xffffffff - 64;

/** Streaming writer: audio goes to a temp file; close() patches the header and renames it. */
export async function createWavWriter(path: string, opts: WavWriterOptions): Promise<WavWriter> {
  const { sampleRate, channels, format } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new WavError(`invalid sample rate ${sampleRate}`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 65535) throw new WavError(`invalid channel count ${channels}`);
  formatParams(format);
  const w = await createAtomicWriter(path);
  const headerLen = wavHeader(sampleRate, channels, format, 0).length;
  await w.handle.write(wavHeader(sampleRate, channels, format, 0), 0, headerLen, 0);
  let position = headerLen;
  let frames = 0;
  let clipped = 0;
  let closed = false;
  return {
    get framesWritten() {
      return frames;
    },
    get clippedSamples() {
      return clipped;
    },
    async write(chunk) {
      if (closed) throw new WavError('write after close');
      if (chunk.length !== channels) throw new WavError(`expected ${channels} channel(s), got ${chunk.length}`);
      const data = encodeSamples(chunk, format);
      clipped += countClipped(chunk, format);
      if (position - headerLen + data.length > MAX_RIFF_DATA) {
        throw new WavError('audio too long for a WAV file (over 4 GB); use a shorter range');
      }
      await w.handle.write(data, 0, data.length, position);
      position += data.length;
      frames += chunk[0]?.length ?? 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      const dataBytes = position - headerLen;
      if (dataBytes & 1) await w.handle.write(Buffer.alloc(1), 0, 1, position);
      await w.handle.write(wavHeader(sampleRate, channels, format, dataBytes), 0, headerLen, 0);
      await w.commit();
    },
    async abort() {
      closed = true;
      await w.abort();
    },
  };
}

/** Write a whole WAV (atomically, in chunks); returns the samples clipped (integer formats). */
export async function writeWav(path: string, audio: WavAudio, format: WavFormat = 'wav16'): Promise<number> {
  const w = await createWavWriter(path, { sampleRate: audio.sampleRate, channels: audio.channels.length, format });
  try {
    const chunk = 1 << 16;
    const frames = audio.channels[0]?.length ?? 0;
    for (let o = 0; o < frames; o += chunk) await w.write(audio.channels.map((c) => c.subarray(o, o + chunk)));
    await w.close();
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.clippedSamples;
}
