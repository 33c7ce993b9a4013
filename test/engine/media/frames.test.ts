import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { geometryFilter, openFrames } from '../../../src/main/engine/media/frames';
import { frameGeometry, insideOriginal, modelToNormalized, normalizedToModel, toModel, toOriginal } from '../../../src/main/engine/media/geometry';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';
import { makeMediaFixtures, type MediaFixtures } from '../../fixtures/make-media';

let fx: MediaFixtures;
let boxes: string;
beforeAll(() => {
  fx = makeMediaFixtures();
  // Red 160x90 frame, blue box (120,10)-(150,30), green box (70,55)-(90,75); lossless H.264 4:4:4.
  boxes = path.join(fx.dir, 'boxes.mkv');
  execFileSync(ffmpegPath(), [
    '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
    'color=c=red:s=160x90:d=1:r=5,drawbox=x=120:y=10:w=30:h=20:color=blue:t=fill,drawbox=x=70:y=55:w=20:h=20:color=green:t=fill',
    '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p', boxes,
  ]);
});
afterAll(() => fx.cleanup());

type Colour = 'red' | 'green' | 'blue' | 'black' | 'other';
function colourAt(rgb: Uint8Array, width: number, x: number, y: number): Colour {
  const i = 3 * (Math.floor(y) * width + Math.floor(x));
  const [r, g, b] = [rgb[i], rgb[i + 1], rgb[i + 2]];
  if (r < 40 && g < 40 && b < 40) return 'black';
  if (r > 150 && g < 80 && b < 80) return 'red';
  if (g > 80 && r < 80 && b < 80) return 'green';
  if (b > 150 && r < 80 && g < 80) return 'blue';
  return 'other';
}

async function firstFrame(fit: 'letterbox' | 'crop' | 'stretch', w = 64, h = 64) {
  const s = await openFrames(boxes, { width: w, height: h, fit });
  for await (const f of s.frames) {
    await s.frames.return(undefined);
    return { ...s, frame: f };
  }
  throw new Error('no frame');
}

describe('FrameGeometry', () => {
  it('letterboxes a 16:9 frame into a square with bars top and bottom', () => {
    const g = frameGeometry(160, 90, 64, 64, 'letterbox');
    expect([g.scaledWidth, g.scaledHeight, g.offsetX, g.offsetY]).toEqual([64, 36, 0, 14]);
    expect(toModel(g, { x: 0, y: 0 })).toEqual({ x: 0, y: 14 });
    expect(toModel(g, { x: 160, y: 90 })).toEqual({ x: 64, y: 50 });
    expect(insideOriginal(g, { x: 32, y: 5 })).toBe(false);
  });

  it('crops a 4:3 frame into 16:9 by cutting top and bottom', () => {
    const g = frameGeometry(640, 480, 320, 180, 'crop');
    expect([g.scaledWidth, g.scaledHeight, g.offsetX, g.offsetY]).toEqual([320, 240, 0, -30]);
    expect(toOriginal(g, { x: 0, y: 0 })).toEqual({ x: 0, y: 60 });
  });

  it('maps points back and forth exactly for every fit and odd sizes', () => {
    for (const fit of ['letterbox', 'crop', 'stretch'] as const) {
      for (const [sw, sh, dw, dh] of [[1920, 1080, 224, 224], [1080, 1920, 224, 224], [640, 480, 256, 144], [333, 777, 31, 17]]) {
        const g = frameGeometry(sw, sh, dw, dh, fit);
        for (const p of [{ x: 0, y: 0 }, { x: sw / 3, y: sh / 7 }, { x: sw, y: sh }]) {
          const back = toOriginal(g, toModel(g, p));
          expect(back.x).toBeCloseTo(p.x, 9);
          expect(back.y).toBeCloseTo(p.y, 9);
        }
        const n = modelToNormalized(g, normalizedToModel(g, { x: 0.25, y: 0.75 }));
        expect(n.x).toBeCloseTo(0.25, 9);
        expect(n.y).toBeCloseTo(0.75, 9);
        if (fit === 'letterbox') expect(Math.min(g.offsetX, g.offsetY)).toBe(0);
        if (fit === 'crop') expect(Math.max(g.offsetX, g.offsetY)).toBe(0);
      }
    }
  });
});

describe('openFrames', () => {
  it('letterbox: pixels land where the geometry says', async () => {
    const { geometry: g, frame } = await firstFrame('letterbox');
    expect(frame.pixels.length).toBe(64 * 64 * 3);
    const at = (x: number, y: number) => {
      const m = toModel(g, { x, y });
      return colourAt(frame.pixels, 64, m.x, m.y);
    };
    expect(at(135, 20)).toBe('blue');
    expect(at(80, 65)).toBe('green');
    expect(at(20, 60)).toBe('red');
    expect(colourAt(frame.pixels, 64, 32, 5)).toBe('black');
    expect(colourAt(frame.pixels, 64, 32, 60)).toBe('black');
    // A click on the blue box in model coordinates maps back into the box in the original frame.
    const o = toOriginal(g, { x: 54.5, y: 22.5 });
    expect(o.x).toBeGreaterThan(120);
    expect(o.x).toBeLessThan(150);
    expect(o.y).toBeGreaterThan(10);
    expect(o.y).toBeLessThan(30);
  });

  it('crop and stretch: pixels land where the geometry says', async () => {
    for (const fit of ['crop', 'stretch'] as const) {
      const { geometry: g, frame } = await firstFrame(fit);
      const at = (x: number, y: number) => {
        const m = toModel(g, { x, y });
        return colourAt(frame.pixels, 64, m.x, m.y);
      };
      expect(at(80, 65)).toBe('green');
      expect(at(40, 20)).toBe('red');
      // (20, 60) is cut away by the crop: it maps outside the model frame.
      if (fit === 'crop') expect(toModel(g, { x: 20, y: 60 }).x).toBeLessThan(0);
      else expect(at(20, 60)).toBe('red');
      if (fit === 'stretch') expect(at(135, 20)).toBe('blue');
      expect(colourAt(frame.pixels, 64, 1, 1)).not.toBe('black');
    }
  });

  it('resamples the frame rate and reports times; honours startSec/durationSec', async () => {
    const s = await openFrames(fx.mp4, { width: 32, height: 32, fps: 5 });
    const times: number[] = [];
    for await (const f of s.frames) times.push(f.timeSec);
    expect(times.length).toBe(10);
    expect(times[3]).toBeCloseTo(0.6, 9);
    const r = await openFrames(fx.mp4, { width: 32, height: 18, fps: 10, startSec: 1, durationSec: 0.5 });
    const got: number[] = [];
    for await (const f of r.frames) got.push(f.timeSec);
    expect(got.length).toBe(5);
    expect(got[0]).toBeCloseTo(1, 9);
  });

  it('frame n at a lower rate is the one on screen in the middle of its 1/fps, at (n + 0.5) / fps', async () => {
    // 25 fps, frame k a flat grey of 4k (lossless), decoded at 8 fps: frame n shows floor(25 (n + 0.5) / 8).
    const counter = path.join(fx.dir, 'counter.mkv');
    execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', "nullsrc=s=32x32:r=25:d=2,format=gray,geq=lum='N*4'", '-c:v', 'ffv1', '-pix_fmt', 'gray', counter]);
    const s = await openFrames(counter, { width: 32, height: 32, fps: 8, fit: 'stretch' });
    const shown: number[] = [];
    for await (const f of s.frames) shown.push(f.pixels[3 * (16 * 32 + 16)] / 4);
    expect(shown.length).toBe(16);
    expect(shown).toEqual(shown.map((_v, n) => Math.floor((25 * (n + 0.5)) / 8)));
  });

  it('4:2:0 video keeps its colours when scaled down (chroma fully interpolated)', async () => {
    // 128x72 of random-coloured 8x8 blocks, lossless 4:2:0 H.264, decoded at 56x32, against the
    // RGB original scaled by the same filter: only 4:2:0's own loss should remain.
    let seed = 1;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24);
    const blocks = Array.from({ length: 9 * 16 * 3 }, rnd);
    const rgb = Buffer.alloc(128 * 72 * 3);
    for (let y = 0; y < 72; y++) for (let x = 0; x < 128; x++) for (let c = 0; c < 3; c++) rgb[(y * 128 + x) * 3 + c] = blocks[((y >> 3) * 16 + (x >> 3)) * 3 + c];
    const raw = path.join(fx.dir, 'blocks.rgb'), clip = path.join(fx.dir, 'blocks.mp4');
    writeFileSync(raw, rgb);
    execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '128x72', '-r', '5', '-i', raw, '-frames:v', '1', '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv420p', clip]);
    const geometry = frameGeometry(128, 72, 56, 32, 'stretch');
    const ref = execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '128x72', '-i', raw, '-vf', geometryFilter(geometry), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const s = await openFrames(clip, { width: 56, height: 32, fit: 'stretch' });
    let got: Uint8Array | null = null;
    for await (const f of s.frames) got ??= f.pixels;
    expect(got!.length).toBe(ref.length);
    let err = 0;
    for (let i = 0; i < ref.length; i++) err += Math.abs(got![i] - ref[i]);
    expect(err / ref.length).toBeLessThan(2); // 12.7 with swscale's shortcut
  });

  it('planar frames hold the same pixels as packed ones, as G, B and R planes', async () => {
    const packed = await openFrames(fx.mp4, { width: 32, height: 18, fps: 5 });
    const planar = await openFrames(fx.mp4, { width: 32, height: 18, fps: 5, layout: 'planar' });
    const a: Uint8Array[] = [], b: Uint8Array[] = [];
    for await (const f of packed.frames) a.push(f.pixels);
    for await (const f of planar.frames) b.push(f.pixels);
    expect(b.length).toBe(a.length);
    const plane = 32 * 18;
    for (let n = 0; n < a.length; n++) {
      for (let i = 0; i < plane; i++) {
        expect([b[n][2 * plane + i], b[n][i], b[n][plane + i]]).toEqual([a[n][3 * i], a[n][3 * i + 1], a[n][3 * i + 2]]);
      }
    }
  });

  it('grey frames hold the luma of the packed pixels, one byte each', async () => {
    const packed = await openFrames(fx.mp4, { width: 32, height: 18, fps: 5 });
    const grey = await openFrames(fx.mp4, { width: 32, height: 18, fps: 5, layout: 'gray' });
    const a: Uint8Array[] = [], b: Uint8Array[] = [];
    for await (const f of packed.frames) a.push(f.pixels);
    for await (const f of grey.frames) b.push(f.pixels);
    expect(b.length).toBe(a.length);
    for (let n = 0; n < a.length; n++) {
      expect(b[n].length).toBe(32 * 18);
      let err = 0;
      for (let i = 0; i < b[n].length; i++) err += Math.abs(b[n][i] - (0.299 * a[n][3 * i] + 0.587 * a[n][3 * i + 1] + 0.114 * a[n][3 * i + 2]));
      // Scaled on its own the luma differs a little at sharp edges (1.4 of 255 here); a wrong
      // range or channel would be off by tens.
      expect(err / b[n].length).toBeLessThan(3);
    }
  });

  it('writes a grey copy of the picture from the same decode: read back from any time, it gives the grey frames the media gives', async () => {
    const copy = path.join(fx.dir, 'copy.mkv');
    const all = async (file: string, o: { startSec?: number; durationSec?: number } = {}, extra = {}) => {
      const out: Uint8Array[] = [];
      for await (const f of (await openFrames(file, { width: 64, height: 36, fps: 10, layout: 'gray', ...o, ...extra })).frames) out.push(f.pixels);
      return out;
    };
    // The frames asked for come as without a copy.
    const planar = async (extra = {}) => {
      const out: Uint8Array[] = [];
      for await (const f of (await openFrames(fx.mp4, { width: 32, height: 32, fps: 5, layout: 'planar', ...extra })).frames) out.push(f.pixels);
      return out;
    };
    expect(await planar({ copy: { file: copy, width: 64, height: 36, fps: 10 } })).toEqual(await planar());
    for (const range of [{}, { startSec: 0.7, durationSec: 0.9 }]) {
      const direct = await all(fx.mp4, range);
      expect(direct.length).toBeGreaterThan(5);
      // Every grey value kept: a copy squeezed into video range (16..235) differs by up to 20.
      expect(await all(copy, range)).toEqual(direct);
    }
  });

  it('decodes every container, and refuses missing video or bad sizes', async () => {
    for (const f of [fx.mov, fx.mkv, fx.webm]) {
      const s = await openFrames(f, { width: 48, height: 27 });
      let n = 0;
      for await (const fr of s.frames) {
        expect(fr.pixels.length).toBe(48 * 27 * 3);
        n++;
      }
      expect(n).toBeGreaterThan(10);
    }
    await expect(openFrames(fx.mp4, { width: 0, height: 10 })).rejects.toMatchObject({ code: 'media_error', reason: 'BAD_ARGUMENT' });
    await expect(openFrames(fx.wav16, { width: 10, height: 10 })).rejects.toMatchObject({ code: 'media_error', reason: 'NO_VIDEO' });
  });
});
