/**
 * A REAPER project (.rpp) that opens the exported stems aligned at 0 s, one track per stem with
 * the mixer's volume, pan, mute and solo, and the picture as a video item on its own track. RPP is
 * a plain-text chunk format; paths relative to the .rpp let the export folder move as a whole.
 */
import { dbToGain } from './mix';

export interface RppTrack {
  name: string;
  /** File name relative to the .rpp. */
  file: string;
  lengthSec: number;
  gainDb: number;
  /** -1 (left) .. 1 (right). */
  pan: number;
  mute: boolean;
  solo: boolean;
  /** #rrggbb, shown as the track colour. */
  colour?: string;
  /** The item's media: audio (WAVE, the default) or a video file (VIDEO, picture and sound). */
  source?: 'WAVE' | 'VIDEO';
  /** Seconds into the file where the item starts (default 0). */
  offsetSec?: number;
}

export interface RppProject {
  sampleRate: number;
  tracks: RppTrack[];
}

/** RPP strings are double-quoted; a name with a double quote is quoted with backticks instead. */
export function rppString(s: string): string {
  const clean = s.replace(/[\r\n]+/g, ' ');
  if (!clean.includes('"')) return `"${clean}"`;
  if (!clean.includes('`')) return `\`${clean}\``;
  return `"${clean.replace(/"/g, "'")}"`;
}

const num = (x: number, digits = 10) => String(Number(x.toFixed(digits)));

/** REAPER's PEAKCOL: 0x01000000 | B<<16 | G<<8 | R on Windows-style COLORREF. */
function peakColour(hex: string | undefined): number | null {
  const m = hex ? /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex) : null;
  if (!m) return null;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h, 16));
  return 0x1000000 | (b << 16) | (g << 8) | r;
}

export function writeRpp(p: RppProject): string {
  const lines: string[] = [];
  lines.push('<REAPER_PROJECT 0.1 "6.0" 0');
  lines.push(`  SAMPLERATE ${p.sampleRate} 0 0`);
  lines.push('  TEMPO 120 4 4');
  lines.push('  MASTER_VOLUME 1 0 -1 -1 1');
  const anySolo = p.tracks.some((t) => t.solo);
  for (const t of p.tracks) {
    const vol = dbToGain(t.gainDb);
    const col = peakColour(t.colour);
    lines.push('  <TRACK');
    lines.push(`    NAME ${rppString(t.name)}`);
    if (col !== null) lines.push(`    PEAKCOL ${col}`);
    lines.push(`    VOLPAN ${num(vol)} ${num(t.pan, 6)} -1 -1 1`);
    // MUTESOLO mute solo(0 off, 2 solo in place) solo-defeat
    lines.push(`    MUTESOLO ${t.mute ? 1 : 0} ${anySolo && t.solo ? 2 : 0} 0`);
    lines.push('    NCHAN 2');
    lines.push('    <ITEM');
    lines.push('      POSITION 0');
    lines.push(`      LENGTH ${num(t.lengthSec)}`);
    lines.push('      LOOP 0');
    lines.push(`      NAME ${rppString(t.name)}`);
    lines.push(`      SOFFS ${num(t.offsetSec ?? 0)}`);
    lines.push(`      <SOURCE ${t.source ?? 'WAVE'}`);
    lines.push(`        FILE ${rppString(t.file)}`);
    lines.push('      >');
    lines.push('    >');
    lines.push('  >');
  }
  lines.push('>');
  return lines.join('\n') + '\n';
}
