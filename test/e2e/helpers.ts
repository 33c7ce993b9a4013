/** Shared by the end-to-end specs: the server's environment, test media, and reading WAV output. */
import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ffmpeg = (): string => process.env.STEMSIGHT_FFMPEG ?? (createRequire(path.join(root, 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** Where the bundled demo's sources are, as 0..1 of the picture. */
export function demoClicks(): { suggestedClicks: { class: string; x: number; y: number }[] } {
  return JSON.parse(readFileSync(path.join(root, 'resources', 'demo', 'demo.json'), 'utf8')) as { suggestedClicks: { class: string; x: number; y: number }[] };
}

/** The first `seconds` of the bundled demo clip. */
export function makeDemoCut(file: string, seconds: number): void {
  const r = spawnSync(ffmpeg(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(root, 'resources', 'demo', 'demo.mp4'), '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not cut the demo clip: ${r.stderr}`);
}

/** An audio-only file: `seconds` of a sine at `hz` (made once; kept between runs). */
export function makeTone(file: string, hz: number, seconds = 3): void {
  if (existsSync(file)) return;
  const r = spawnSync(ffmpeg(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=${seconds}`, '-ar', '44100', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr}`);
}

/** Sample rate, channels and frames from a WAV header (PCM or float). */
export function wavInfo(file: string): { rate: number; channels: number; bits: number; frames: number } {
  const b = readFileSync(file);
  let o = 12;
  let rate = 0, channels = 0, bits = 0;
  while (o + 8 <= b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(o + 10);
      rate = b.readUInt32LE(o + 12);
      bits = b.readUInt16LE(o + 22);
    } else if (id === 'data') return { rate, channels, bits, frames: size / (channels * (bits / 8)) };
    o += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no data chunk`);
}

/** Interleaved samples of a 32-bit float WAV. */
export function f32Samples(file: string): Float32Array {
  const b = readFileSync(file);
  let o = 12;
  while (o + 8 <= b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'data') return new Float32Array(b.buffer.slice(b.byteOffset + o + 8, b.byteOffset + o + 8 + size));
    o += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no data chunk`);
}

/**
 * How closely float WAV stems add up to the media's own audio, decoded by ffmpeg into `scratch`
 * at the stems' rate and channels, as an SNR in dB.
 */
export function sumSnrDb(media: string, stems: string[], scratch: string): number {
  const first = wavInfo(stems[0]);
  return snrDb(decodeF32(media, first.rate, first.channels, scratch), stems.map(f32Samples));
}

/** The media's audio decoded by ffmpeg (through the WAV file `scratch`), interleaved. */
export function decodeF32(media: string, rate: number, channels: number, scratch: string): Float32Array {
  const r = spawnSync(ffmpeg(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', media, '-vn', '-ac', String(channels), '-ar', String(rate), '-c:a', 'pcm_f32le', scratch], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not decode ${media}: ${r.stderr}`);
  return f32Samples(scratch);
}

/** How closely `parts` add up to `reference`, over the parts' length, as an SNR in dB. */
export function snrDb(reference: Float32Array, parts: Float32Array[]): number {
  let signal = 0;
  let error = 0;
  for (let i = 0; i < parts[0].length; i++) {
    let sum = 0;
    for (const p of parts) sum += p[i];
    const o = reference[i] ?? 0;
    signal += o * o;
    error += (sum - o) * (sum - o);
  }
  return 10 * Math.log10(signal / Math.max(error, 1e-30));
}

/** Click at (x, y), 0..1 of the picture. */
export async function clickFrame(page: Page, x: number, y: number): Promise<void> {
  const box = (await page.getByTestId('video-overlay').boundingBox())!;
  await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
}

/**
 * From now on, records the kind of every job that shows up in the Jobs panel (read them with
 * jobKindsSeen): a finished job leaves the panel after a few seconds, so its rows counted later
 * would miss the short ones.
 */
export async function watchJobs(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { jobKindsSeen: string[] }).jobKindsSeen = seen;
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (!(n instanceof Element)) continue;
          for (const job of [n, ...n.querySelectorAll('[data-testid="job"]')]) if (job.matches('[data-testid="job"]')) seen.push(job.getAttribute('data-kind') ?? '');
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
}

/** The kinds of the jobs that showed up since watchJobs, in order. */
export const jobKindsSeen = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { jobKindsSeen: string[] }).jobKindsSeen);
