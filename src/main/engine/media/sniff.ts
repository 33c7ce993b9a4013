import { promises as fsp } from 'node:fs';

/**
 * Looks at a file's first bytes to tell "not a media file at all" from "a media file that is
 * damaged or cut short" when ffprobe fails (it says "Invalid data" for both), and walks the
 * top-level boxes of MP4/MOV files, whose declared sizes reveal truncation even when the index
 * (moov) sits at the front and ffprobe is happy.
 */

export type ContainerGuess = 'mp4' | 'matroska' | 'riff' | 'ogg' | 'flac' | 'mp3' | 'mpegts' | 'flv' | 'text' | 'unknown';

export interface Sniff {
  container: ContainerGuess;
  /** For MP4/MOV: a top-level box runs past the end of the file, or the index box is missing. */
  truncated: boolean;
  missingIndex: boolean;
}

const MP4_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'moof', 'mfra', 'meta', 'styp', 'sidx', 'ssix', 'prft', 'emsg', 'pdin', 'prfl', 'junk', 'udta']);

function ascii(b: Uint8Array, o: number, n: number): string {
  return String.fromCharCode(...b.subarray(o, o + n));
}

function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  let printable = 0;
  for (const c of b) if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0xc2) printable++;
  return printable / b.length > 0.95;
}

export async function sniffFile(path: string): Promise<Sniff> {
  const fh = await fsp.open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(4096, size));
    await fh.read(head, 0, head.length, 0);
    const result: Sniff = { container: 'unknown', truncated: false, missingIndex: false };
    if (head.length >= 8 && MP4_BOXES.has(ascii(head, 4, 4))) {
      result.container = 'mp4';
      // Walk top-level boxes: size(4) type(4) [largesize(8) when size == 1; size 0 = to end of file].
      let off = 0;
      let sawMoov = false;
      let sawMoof = false;
      const hdr = Buffer.alloc(16);
      for (let boxes = 0; off + 8 <= size && boxes < 100_000; boxes++) {
        await fh.read(hdr, 0, 16, off);
        let boxSize = hdr.readUInt32BE(0);
        const type = ascii(hdr, 4, 4);
        // Unknown bytes after the last real box (some recorders pad files): stop, don't judge them.
        if (!MP4_BOXES.has(type)) break;
        if (type === 'moov') sawMoov = true;
        if (type === 'moof') sawMoof = true;
        if (boxSize === 1) boxSize = Number(hdr.readBigUInt64BE(8));
        else if (boxSize === 0) boxSize = size - off;
        if (boxSize < 8) break;
        if (off + boxSize > size) {
          result.truncated = true;
          break;
        }
        off += boxSize;
      }
      result.missingIndex = !sawMoov && !sawMoof;
      if (result.missingIndex) result.truncated = true;
    } else if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) result.container = 'matroska';
    else if (ascii(head, 0, 4) === 'RIFF') result.container = 'riff';
    else if (ascii(head, 0, 4) === 'OggS') result.container = 'ogg';
    else if (ascii(head, 0, 4) === 'fLaC') result.container = 'flac';
    else if (ascii(head, 0, 3) === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0)) result.container = 'mp3';
    else if (ascii(head, 0, 3) === 'FLV') result.container = 'flv';
    else if (head[0] === 0x47 && head.length > 188 && head[188] === 0x47) result.container = 'mpegts';
    else if (looksLikeText(head)) result.container = 'text';
    return result;
  } finally {
    await fh.close();
  }
}
