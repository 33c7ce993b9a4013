import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../../../src/main/engine/media/binaries';
import { openFrames } from '../../../src/main/engine/media/frames';
import { probeMedia, type MediaInfo } from '../../../src/main/engine/media/probe';
import type { Click } from '../../../src/main/engine/separation/features';
import { trackingCopyTarget } from '../../../src/main/engine/media/tracking-view';
import { changeSides, leastPlace, liftActivity, motionNear, PixelChange, robustLine, trackPoints } from '../../../src/main/engine/separation/movement';
import { followedSpan, followSources, movementShare, movementWeights, shareMasks, type RegisterMemory, type SharedSpan } from '../../../src/main/engine/separation/movement-share';

const W = 320, H = 180, FPS = 10, SECONDS = 6;

/** When the moving sprite sounds (0..1 per frame): notes with rests between them. */
const env = (i: number) => {
  const t = i / FPS;
  return t % 1.5 < 0.7 ? Math.sin((Math.PI * (t % 1.5)) / 0.7) : 0;
};

/**
 * A clip by the synthetic world's rules: frame i is a still background of blocks of colour noise
 * (as the world's noise backgrounds) with `draw(frame, i)` painted on it, H.264 at FPS.
 */
function makeWorldClip(file: string, seed: number, draw: (f: Uint8Array, i: number) => void): void {
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const bg = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y += 10) for (let x = 0; x < W; x += 10) {
    const c = [rand() * 255, rand() * 255, rand() * 255];
    for (let dy = 0; dy < 10; dy++) for (let dx = 0; dx < 10; dx++) for (let k = 0; k < 3; k++) bg[3 * ((y + dy) * W + x + dx) + k] = c[k];
  }
  const frames = Buffer.alloc(FPS * SECONDS * W * H * 3);
  for (let i = 0; i < FPS * SECONDS; i++) {
    const f = frames.subarray(i * W * H * 3, (i + 1) * W * H * 3);
    f.set(bg);
    draw(f, i);
  }
  execFileSync(ffmpegPath(), ['-nostdin', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', String(FPS), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p', file], { input: frames });
}

/**
 * A diagonal sprite with background all around it (like a trumpet) lifted by 8 % of the height x
 * env and drifting sideways, and a second sprite that never moves.
 */
function makeClip(file: string): void {
  makeWorldClip(file, 7, (f, i) => {
    const draw = (cx: number, cy: number) => {
      // A diagonal bar about a third of the frame high and 10 px thick, darker at its top end.
      for (let y = Math.round(cy - 32); y <= cy + 32; y++) for (let x = Math.round(cx - 32); x <= cx + 32; x++) {
        const along = (x - cx - (y - cy)) / Math.SQRT2, across = (x - cx + (y - cy)) / Math.SQRT2;
        if (Math.abs(along) > 30 || Math.abs(across) > 5) continue;
        const o = 3 * (y * W + x);
        f[o] = 240; f[o + 1] = along > 20 ? 90 : 200; f[o + 2] = 30;
      }
    };
    draw(90 + (12 * i) / (FPS * SECONDS), 100 - 0.08 * H * env(i));
    draw(230, 90);
  });
}

/**
 * A speaker: a round face lifted by 8 % of the height x env, whose mouth is open (a large dark
 * oval) while env > 0.3 and closed (a thin line) otherwise.
 */
function makeSpeakerClip(file: string): void {
  makeWorldClip(file, 11, (f, i) => {
    const cx = 160, cy = 100 - 0.08 * H * env(i), open = env(i) > 0.3;
    for (let y = Math.round(cy - 30); y <= cy + 30; y++) for (let x = cx - 30; x <= cx + 30; x++) {
      const r = Math.hypot(x - cx, y - cy);
      if (r > 28) continue;
      const mouth = open ? ((x - cx) / 12) ** 2 + ((y - cy - 8) / 10) ** 2 < 1 : Math.abs(y - cy - 10) < 1.5 && Math.abs(x - cx) < 12;
      const eye = Math.hypot(Math.abs(x - cx) - 10, y - cy + 8) < 3.5;
      const o = 3 * (y * W + x);
      [f[o], f[o + 1], f[o + 2]] = mouth || eye ? [60, 30, 20] : r > 26 ? [150, 100, 0] : [250, 200, 60];
    }
  });
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) [sab, saa, sbb] = [sab + (a[i] - ma) * (b[i] - mb), saa + (a[i] - ma) ** 2, sbb + (b[i] - mb) ** 2];
  return sab / Math.sqrt(saa * sbb);
}


/** The share of a file's clicks over a span, as separate() makes it. */
async function shareOf(file: string, info: MediaInfo, clicks: (Click | null)[], model: { sampleRate: number; hop: number; bins: number; frames: number }, span: SharedSpan) {
  return movementShare(await followSources(file, info, clicks, span), model, span);
}
describe('following a clicked point: its movement says when it sounds', () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-movement-'));
    clip = path.join(dir, 'clip.mp4');
    makeClip(clip);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The moving sprite clicked at a loud moment (lifted), on its middle; the still one anywhere on it.
  const loud = 3;
  const clicks = [
    { x: (90 + (12 * loud) / (FPS * SECONDS)) / W, y: (100 - 0.08 * H * env(loud)) / H, timeSec: (loud + 0.5) / FPS },
    { x: 230 / W, y: 90 / H, timeSec: 1 },
  ];

  it("recovers a thin drifting sprite's envelope from its lift, and a still one has none", async () => {
    const info = await probeMedia(clip);
    const m = await trackPoints(clip, info, clicks);
    expect(m.fps).toBe(FPS);
    expect(m.lift[0].length).toBe(FPS * SECONDS);
    const moving = liftActivity(m.lift[0]);
    const truth = Array.from({ length: FPS * SECONDS }, (_, i) => env(i));
    expect(correlation(moving, truth)).toBeGreaterThan(0.95);
    expect(Math.max(...liftActivity(m.lift[1]))).toBe(0);
  });

  it('follows a long clip from a sample of its frames and a second pass, as closely as a short one', async () => {
    const info = await probeMedia(clip);
    const m = await trackPoints(clip, info, clicks, { keepFrames: 25 });
    expect(m.lift[0].length).toBe(FPS * SECONDS);
    const truth = Array.from({ length: FPS * SECONDS }, (_, i) => env(i));
    expect(correlation(liftActivity(m.lift[0]), truth)).toBeGreaterThan(0.95);
    expect(Math.max(...liftActivity(m.lift[1]))).toBe(0);
  });

  it("follows from the analysis' grey copy of the picture exactly as from the media, over the clip and over a range, and measures the movement near a click alike", async () => {
    const info = await probeMedia(clip);
    const target = trackingCopyTarget(info, dir)!;
    for await (const _f of (await openFrames(clip, { width: 16, height: 9, info, layout: 'gray', copy: target })).frames);
    for (const range of [{}, { startSec: 1.33, durationSec: 2.5 }]) {
      const direct = await trackPoints(clip, info, clicks, range);
      expect(await trackPoints(clip, info, clicks, { ...range, copy: target.file })).toEqual(direct);
      expect(await motionNear(clip, info, clicks, { ...range, copy: target.file })).toEqual(await motionNear(clip, info, clicks, range));
    }
  });

  it('follows a range from the frame on screen at its start, a frame at a time to its end', async () => {
    const info = await probeMedia(clip);
    const m = await trackPoints(clip, info, clicks, { startSec: 1.33, durationSec: 2.5 });
    expect(m.fromSec).toBeCloseTo(1.3, 9);
    // The frames starting before 3.83 s: 1.3 s .. 3.8 s.
    expect(m.lift[0].length).toBe(26);
    // The same movement as over the whole clip, where the sprite moves (its template is cut alike).
    const whole = await trackPoints(clip, info, clicks);
    const range = liftActivity(m.lift[0]), all = liftActivity(whole.lift[0]).subarray(13, 39);
    expect(correlation(range, all)).toBeGreaterThan(0.95);
  });

  it("follows a speaker whose mouth opens and closes as it talks: the face's lift, not its mouth, is the activity", async () => {
    const speaker = path.join(dir, 'speaker.mp4');
    makeSpeakerClip(speaker);
    const info = await probeMedia(speaker);
    // Clicked while talking (mouth open), on the face's middle.
    const m = await trackPoints(speaker, info, [{ x: 160 / W, y: (100 - 0.08 * H * env(loud)) / H, timeSec: (loud + 0.5) / FPS }]);
    const truth = Array.from({ length: FPS * SECONDS }, (_, i) => env(i));
    expect(correlation(liftActivity(m.lift[0]), truth)).toBeGreaterThan(0.9);
  });

  it('shares a range by the movement within it: the sound beyond the range, where the movement was not followed, changes nothing', async () => {
    const info = await probeMedia(clip);
    const model = { sampleRate: 11025, hop: 256, bins: 4, frames: 256 };
    const share = (await shareOf(clip, info, clicks, model, { fromSec: 2, toSec: 4 }))!;
    const frameSec = (j: number) => (j * model.hop) / model.sampleRate;
    const cells = model.bins * model.frames;
    const masks = () => Float32Array.from({ length: 2 * cells }, (_, x) => 0.2 + 0.6 * (((x * 7919) % 13) / 13));
    // One window from 0 s (5.9 s): the moving sprite's sound in every bin, then something else beyond the range.
    const sound = (beyond: (j: number) => number) =>
      Float32Array.from({ length: cells }, (_, x) => {
        const j = x % model.frames, t = frameSec(j);
        return t >= 2 && t <= 4 ? 0.1 + env(Math.floor(t * FPS)) : beyond(j);
      });
    const a = share.apply(masks(), 0, null, sound((j) => 0.1 + env(Math.floor(frameSec(j) * FPS))));
    const b = share.apply(masks(), 0, null, sound((j) => (j % 9) / 3));
    let inside = 0;
    for (let k = 0; k < 2; k++) {
      for (let f = 0; f < model.bins; f++) {
        for (let j = 0; j < model.frames; j++) {
          if (frameSec(j) < 2 || frameSec(j) > 4) continue;
          const x = (k * model.bins + f) * model.frames + j;
          expect(a[x]).toBeCloseTo(b[x], 6);
          inside++;
        }
      }
    }
    expect(inside).toBeGreaterThan(2 * 4 * 80);
  });

  it('leaves a clicked thing that never moves over the whole file its masks, and shares the others: the tracker lost it, or its movement says nothing', async () => {
    const info = await probeMedia(clip);
    const model = { sampleRate: 11025, hop: 256, bins: 4, frames: 256 };
    // The moving sprite and the still one: nothing left to share between over the whole file.
    expect(await shareOf(clip, info, clicks, model, { fromSec: 0, toSec: null })).toBeNull();
    // Over a range the still one may simply rest: shared as before.
    expect(await shareOf(clip, info, clicks, model, { fromSec: 2, toSec: 4 })).not.toBeNull();
    // Three clicks, the still one in the middle: the other two (the moving sprite twice) share, and
    // the still one's masks stay as they are (shared, its weight's floor would give its cells away).
    const share = (await shareOf(clip, info, [clicks[0], clicks[1], clicks[0]], model, { fromSec: 0, toSec: null }))!;
    const cells = model.bins * model.frames;
    const masks = Float32Array.from({ length: 3 * cells }, (_, x) => 0.1 + 0.2 * (((x * 7919) % 13) / 13));
    const before = Float32Array.from(masks);
    const sound = Float32Array.from({ length: cells }, (_, x) => 0.1 + env(Math.floor(((x % model.frames) * model.hop * FPS) / model.sampleRate)));
    share.apply(masks, 0, null, sound);
    expect(masks.subarray(cells, 2 * cells)).toEqual(before.subarray(cells, 2 * cells));
    for (let x = 0; x < cells; x++) expect(masks[x] + masks[2 * cells + x]).toBeCloseTo(before[x] + before[2 * cells + x], 5);
  });

  it("measures the change around a range on its sides alone, within the media (the range's own frames are held already)", () => {
    expect(changeSides(30, 16, 180)).toEqual([
      { startSec: 20, durationSec: 10 },
      { startSec: 46, durationSec: 10 },
    ]);
    expect(changeSides(4, 10, 18)).toEqual([
      { startSec: 0, durationSec: 4 },
      { startSec: 14, durationSec: 4 },
    ]);
    expect(changeSides(0, 60, 60)).toEqual([]);
  });

  it('follows a thing still for a whole range as still, though another moves right beside it', async () => {
    // Sprite A sounds (is lifted) in the first 2 s only; sprite B, whose edge lies within A's
    // template, sounds from then on. Over 3-5.5 s alone nothing of A changes, only B's edge.
    const beside = path.join(dir, 'beside.mp4');
    const lifted = (i: number, on: boolean) => (on ? Math.round(0.08 * H * env(i)) : 0);
    makeWorldClip(beside, 5, (f, i) => {
      const box = (x0: number, y0: number, w: number, h: number, rgb: number[]) => {
        for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) f.set(rgb, 3 * (y * W + x));
      };
      box(138, 90 - lifted(i, i < 2.25 * FPS), 24, 20, [240, 200, 30]);
      box(163, 90 - lifted(i, i >= 2.25 * FPS), 30, 20, [40, 90, 230]);
    });
    const info = await probeMedia(beside);
    const click = { x: 150 / W, y: 100 / H, timeSec: 3.2 };
    const range = await trackPoints(beside, info, [click], { startSec: 3, durationSec: 2.5 });
    expect(Math.max(...liftActivity(range.lift[0]))).toBeLessThan(0.2);
  });

  it('measures the movement near each click: the moving sprite while it sounds, none near the still one', async () => {
    const info = await probeMedia(clip);
    const { fps, motion } = await motionNear(clip, info, [{ x: 90 / W, y: 95 / H }, { x: 230 / W, y: 90 / H }]);
    expect(fps).toBe(FPS);
    const truth = Array.from({ length: FPS * SECONDS }, (_, i) => Math.abs(env(i) - env(i - 1)));
    expect(correlation(motion[0], truth)).toBeGreaterThan(0.6);
    expect(Math.max(...motion[1])).toBeLessThan(0.1 * Math.max(...motion[0]));
  });
});

/**
 * A thin thing (a banjo's neck 3 px wide, a head, a ring for a body) lifted by 8 % of the height x
 * its envelope and 10 % larger about its middle as it sounds (as the synthetic world draws a player),
 * drifting `drift` pixels sideways over the clip; it sounds `sounding` s of every 1.5 s.
 */
function thinThing(sounding: number, drift: number) {
  const env = (i: number) => {
    const t = (i / FPS) % 1.5;
    return t < sounding ? Math.sin((Math.PI * t) / sounding) : 0;
  };
  const at = (i: number) => ({ cx: 120 + (drift * i) / (FPS * SECONDS), cy: 100 - 0.08 * H * env(i), scale: 1 + 0.1 * env(i) });
  const draw = (f: Uint8Array, p: { cx: number; cy: number; scale: number }) => {
    for (let y = Math.floor(p.cy - 40); y <= p.cy + 40; y++) for (let x = Math.floor(p.cx - 20); x <= p.cx + 20; x++) {
      const u = (x - p.cx) / p.scale, v = (y - p.cy) / p.scale;
      const head = Math.abs(u) <= 3.5 && v > -30 && v < -24;
      const neck = Math.abs(u) <= 1.5 && v > -30 && v < 8;
      const ring = Math.abs(Math.hypot(u, v - 20) - 11) < 1.5;
      if (!(head || neck || ring)) continue;
      const o = 3 * (y * W + x);
      [f[o], f[o + 1], f[o + 2]] = head ? [40, 30, 20] : [230, 220, 200];
    }
  };
  const truth = Array.from({ length: FPS * SECONDS }, (_, i) => env(i));
  const click = (i: number) => ({ x: at(i).cx / W, y: at(i).cy / H, timeSec: (i + 0.5) / FPS });
  return { at, draw, truth, click };
}

describe('following a thin thing by what the clicked frame shows of it', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stemsight-thin-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const follow = async (name: string, thing: ReturnType<typeof thinThing>, clickFrame: number, also?: (f: Uint8Array) => void) => {
    const file = path.join(dir, `${name}.mp4`);
    makeWorldClip(file, 5, (f, i) => {
      also?.(f);
      thing.draw(f, thing.at(i));
    });
    const m = await trackPoints(file, await probeMedia(file), [thing.click(clickFrame)]);
    return correlation(liftActivity(m.lift[0]), thing.truth);
  };

  it('follows a thin thing that drifts: the background it passes over, which the clicked frame shows as usual, does not hold the template where it was cut', async () => {
    expect(await follow('drifting', thinThing(0.7, 10), 3)).toBeGreaterThan(0.95);
  });

  it('does not take a still picture of the thing beside it for the thing: nothing changes there', async () => {
    const thing = thinThing(0.7, 10);
    const poster = { ...thing.at(3), cx: thing.at(3).cx + 18 };
    expect(await follow('poster', thing, 3, (f) => thing.draw(f, poster))).toBeGreaterThan(0.95);
  });

  it('follows a thing clicked at rest where it rests most of the time, by how the picture changes around it', async () => {
    expect(await follow('at-rest', thinThing(0.4, 0), 10)).toBeGreaterThan(0.95);
  });

  it('follows a thing that drifts further sideways than the search reaches as far as it can, and never reports a height it did not measure', async () => {
    const thing = thinThing(0.7, 40);
    const file = path.join(dir, 'far.mp4');
    makeWorldClip(file, 5, (f, i) => thing.draw(f, thing.at(i)));
    const m = await trackPoints(file, await probeMedia(file), [thing.click(3)]);
    expect(m.lift[0].every(Number.isFinite)).toBe(true);
    const within = Math.round(0.4 * FPS * SECONDS); // while it is still within reach (14 px of the 22 sideways)
    expect(correlation(liftActivity(m.lift[0]).subarray(0, within), thing.truth.slice(0, within))).toBeGreaterThan(0.9);
  });
});

describe("the tracker's search gives what a plain scan gives, with less work", () => {
  /** Differences with many ties; a place above `stop` answers early with a partial sum (above stop, below its own). */
  const places = (seed: number, n: number) => Array.from({ length: n }, (_, k) => ((seed * 7919 + k * 104729) % 13) % 5);
  const early = (v: number[], tried: number[]) => (k: number, stop: number) => {
    tried.push(k);
    return v[k] > stop ? stop + (v[k] - stop) / 2 : v[k];
  };

  it('finds the first least place in scan order, whichever place it tries first', () => {
    for (let seed = 1; seed < 40; seed++) {
      const v = places(seed, 25);
      const plain = v.indexOf(Math.min(...v));
      for (const first of [0, 7, 24, plain]) {
        const tried: number[] = [];
        expect(leastPlace(v.length, early(v, tried), first)).toEqual({ k: plain, s: v[plain] });
        expect(tried[0]).toBe(first);
        expect(new Set(tried).size).toBe(v.length);
      }
    }
  });

  it('keeps the place it holds on a tie, and never measures it again', () => {
    for (let seed = 1; seed < 40; seed++) {
      const v = places(seed, 25);
      const least = Math.min(...v);
      const held = v.lastIndexOf(least);
      const tried: number[] = [];
      expect(leastPlace(v.length, early(v, tried), 3, { k: held, s: least })).toEqual({ k: held, s: least });
      expect(tried).not.toContain(held);
      // A place held with more than the least gives way to the first least place.
      const worse = v.indexOf(Math.max(...v));
      if (v[worse] > least) expect(leastPlace(v.length, early(v, []), 3, { k: worse, s: v[worse] }).k).toBe(v.indexOf(least));
    }
  });

  it("measures the pixels asked for as a whole picture's change would, less its typical change", () => {
    const w = 20, h = 10, frames = 12;
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pictures = Array.from({ length: frames }, () => Uint8Array.from({ length: w * h }, (_, i) => (i % w < 6 ? 100 + rand() * 80 : 50 + rand() * 4)));
    const wanted = (i: number) => i % w < 8 && Math.floor(i / w) < 5;
    const change = new PixelChange(w * h, wanted);
    pictures.forEach((p) => change.add(p));
    const got = change.result();
    // Every pixel's standard deviation over time, less the median of every 7th.
    const std = Array.from({ length: w * h }, (_, i) => {
      const m = pictures.reduce((s, p) => s + p[i], 0) / frames;
      return Math.sqrt(Math.max(0, pictures.reduce((s, p) => s + p[i] * p[i], 0) / frames - m * m));
    });
    const every7 = std.filter((_, i) => i % 7 === 0).sort((a, b) => a - b);
    const floor = every7[Math.floor(every7.length / 2)];
    for (let i = 0; i < w * h; i++) if (wanted(i)) expect(got[i]).toBeCloseTo(Math.max(0, std[i] - floor), 4);
    expect(got.filter((v, i) => i % w < 6 && Math.floor(i / w) < 5 && v > 10).length).toBe(30);
  });
});

describe('the drift line and the activity from a lift', () => {
  it('finds the line most points lie on, whatever a third of them say', () => {
    const x = Array.from({ length: 90 }, (_, i) => (i % 3 === 0 ? 40 + ((i * 7) % 23) : 10 + 0.2 * i));
    const { a, b } = robustLine(x);
    expect(a).toBeCloseTo(10, 5);
    expect(b).toBeCloseTo(0.2, 5);
  });

  it('measures the lift above a drifting resting height, 0..1', () => {
    const lift = Float32Array.from({ length: 100 }, (_, i) => 0.001 * i + (i % 10 < 4 ? 0.05 * (i % 10) : 0));
    const a = liftActivity(lift);
    expect(a[5]).toBeCloseTo(0, 6);
    expect(a[13]).toBeCloseTo(1, 1);
    expect(a[11]).toBeCloseTo(1 / 3, 1);
  });
});

/** Per-cell weights (n, bins, frames) from per-frame ones: every bin alike. */
const perFrame = (n: number, dims: { bins: number; frames: number }, at: (j: number) => number[]) => {
  const w = new Float32Array(n * dims.bins * dims.frames);
  for (let i = 0; i < n; i++) for (let f = 0; f < dims.bins; f++) for (let j = 0; j < dims.frames; j++) w[(i * dims.bins + f) * dims.frames + j] = at(j)[i];
  return w;
};

describe('sharing the clicked sources masks by their movement', () => {
  const dims = { bins: 2, frames: 2 };
  it('gives a cell the sound leaves open to the moving source, leaves a decided cell alone, and keeps the sum', () => {
    // Source 0 and 1 clicked, source 2 named only. Bin 0: both 0.45 (open); bin 1: 0.9 / 0.05 (decided).
    const masks = Float32Array.from([
      0.45, 0.45, 0.9, 0.9, // source 0: bin 0 frames 0-1, bin 1 frames 0-1
      0.45, 0.45, 0.05, 0.05, // source 1
      0.1, 0.1, 0.05, 0.05, // source 2 (not shared)
    ]);
    const before = Float32Array.from(masks);
    // Frame 0: source 1 moves, source 0 does not; frame 1: both alike.
    shareMasks(masks, masks, dims, [0, 1], perFrame(2, dims, (j) => (j === 0 ? [0.05, 1.05] : [1, 1])));
    const at = (k: number, f: number, j: number) => masks[(k * 2 + f) * 2 + j];
    expect(at(1, 0, 0)).toBeGreaterThan(0.85);
    expect(at(0, 0, 0)).toBeLessThan(0.05);
    expect(at(0, 0, 1)).toBeCloseTo(0.45, 6); // nobody moves more: unchanged
    // Decided by the sound (0.9 against 0.05: doubt 0.105, its square root 0.32): two thirds kept,
    // a third shared (source 0's share 0.9 x 0.05 / (0.9 x 0.05 + 0.05 x 1.05) of 0.95 = 0.44).
    const root = Math.sqrt(1 - 0.85 / 0.95);
    expect(at(0, 1, 0)).toBeCloseTo((1 - root) * 0.9 + root * ((0.9 * 0.05) / 0.0975) * 0.95, 5);
    expect(at(0, 1, 0)).toBeGreaterThan(0.7);
    for (let f = 0; f < 2; f++) for (let j = 0; j < 2; j++) expect(at(0, f, j) + at(1, f, j)).toBeCloseTo(before[(0 * 2 + f) * 2 + j] + before[(1 * 2 + f) * 2 + j], 6);
    expect(masks.subarray(8)).toEqual(before.subarray(8));
  });

  // Two clicked sources, 2 bins x 2 frames each; in frame 0 source 1 moves and source 0 does not.
  const moving = perFrame(2, dims, (j) => (j === 0 ? [0.05, 1.05] : [1, 1]));
  const at = (m: Float32Array, k: number, f: number, j: number) => m[(k * 2 + f) * 2 + j];

  it('gives the moving source a cell the refinement was sure of, where the appearance masks cannot tell two sources apart', () => {
    // The refinement gave every cell to source 0 (0.8 / 0.1); the appearance stage sees two of a kind (0.45 / 0.45 everywhere).
    const refined = Float32Array.from([0.8, 0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1]);
    const appearance = new Float32Array(8).fill(0.45);
    const byRefinement = shareMasks(Float32Array.from(refined), Float32Array.from(refined), dims, [0, 1], moving);
    const byAppearance = shareMasks(Float32Array.from(refined), appearance, dims, [0, 1], moving);
    // Its own doubt (1 - 0.7 / 0.9 = 0.22, its square root 0.47) leaves source 1 about half of its
    // share; the appearance masks' (1) share all of it: 0.1 x 1.05 / (0.8 x 0.05 + 0.1 x 1.05) of 0.9 = 0.65.
    const root = Math.sqrt(1 - 0.7 / 0.9);
    expect(at(byRefinement, 1, 0, 0)).toBeCloseTo((1 - root) * 0.1 + root * 0.652, 3);
    expect(at(byAppearance, 1, 0, 0)).toBeCloseTo(0.652, 3);
    expect(at(byAppearance, 0, 0, 0) + at(byAppearance, 1, 0, 0)).toBeCloseTo(0.9, 6);
    // Where nobody moves more (frame 1) the cell stays as the refinement made it.
    expect(at(byAppearance, 0, 0, 1)).toBeCloseTo(0.8, 6);
  });

  it('weighs a cell the appearance masks decide by their doubt of 0, even in a window they leave open', () => {
    // Appearance: cell (bin 0, frame 0) decided for source 0 (0.9 / 0), the other three open (0.45 / 0.45): open = 0.75, to the fourth 0.32.
    const refined = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4]);
    const appearance = Float32Array.from([0.9, 0.45, 0.45, 0.45, 0, 0.45, 0.45, 0.45]);
    const shared = shareMasks(refined, appearance, dims, [0, 1], moving);
    // doubt = sqrt(0.32 x 0 + 0.68 x (1 - 0.1 / 0.9)) = 0.78; source 0's share 0.5 x 0.05 / 0.445 of 0.9 = 0.05.
    expect(at(shared, 0, 0, 0)).toBeCloseTo(0.22 * 0.5 + 0.78 * 0.0506, 2);
  });

  it("keeps the refinement's own doubt where the appearance masks tell the two sources apart over the window", () => {
    // The appearance stage decides the window (0.9 / 0.05) but for one open cell (bin 0, frame 0).
    const refined = Float32Array.from([0.8, 0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1]);
    const appearance = Float32Array.from([0.45, 0.9, 0.9, 0.9, 0.45, 0.05, 0.05, 0.05]);
    const byRefinement = shareMasks(Float32Array.from(refined), Float32Array.from(refined), dims, [0, 1], moving);
    const byAppearance = shareMasks(Float32Array.from(refined), appearance, dims, [0, 1], moving);
    // open = (0.9 x 1 + 3 x 0.95 x 0.105) / 3.75 = 0.32; to the fourth power 0.01.
    expect(at(byAppearance, 0, 0, 0)).toBeCloseTo(at(byRefinement, 0, 0, 0), 1);
    expect(at(byAppearance, 0, 0, 0)).toBeGreaterThan(0.5);
  });
});

describe('the seconds followed for a span', () => {
  it('follows a range 3 s beyond each side, within the media, and a whole file as it is', () => {
    expect(followedSpan(20, 30, 100)).toEqual({ readFrom: 17, readTo: 33 });
    expect(followedSpan(1, 98, 100)).toEqual({ readFrom: 0, readTo: 100 });
    expect(followedSpan(0, null, 100)).toEqual({ readFrom: 0, readTo: null });
  });
});

describe("each source's weight per cell: whose loudness the cell rises and falls with", () => {
  // Two sources sounding together all along, with loudness that rises and falls differently.
  const frames = 160;
  const dims = { bins: 3, frames };
  const a0 = Float64Array.from({ length: frames }, (_, t) => 0.55 + 0.45 * Math.sin((2 * Math.PI * t) / 37));
  const a1 = Float64Array.from({ length: frames }, (_, t) => 0.55 + 0.45 * Math.cos((2 * Math.PI * t) / 23));
  // Bin 0 is source 0's, bin 1 source 1's, bin 2 holds both.
  const magnitude = (level: number) => {
    const m = new Float32Array(3 * frames);
    for (let t = 0; t < frames; t++) {
      m[t] = level * 3 * a0[t];
      m[frames + t] = level * 2 * a1[t];
      m[2 * frames + t] = level * (3 * a0[t] + 2 * a1[t]);
    }
    return m;
  };
  const w = (weights: Float32Array, k: number, f: number, t: number) => weights[(k * 3 + f) * frames + t];
  /**
   * R_0 / R_1 of bin 2 (where each source sounds, movement-share.ts), from the parts themselves:
   * the bin's energy in the frames one source holds by more than 0.8 of it, shared by the parts.
   */
  const registerRatio = (end = frames) => {
    const r = [0, 0];
    for (let t = 0; t < end; t++) {
      const parts = [3 * a0[t], 2 * a1[t]], sum = parts[0] + parts[1];
      if (Math.max(...parts) <= 0.8 * sum) continue;
      for (let k = 0; k < 2; k++) r[k] += sum * parts[k];
    }
    return r[0] / r[1];
  };

  it('gives a bin to the source whose loudness it follows while both sound, and splits a bin both fill by their parts and where each sounds', () => {
    const weights = movementWeights([a0, a1], magnitude(1), dims);
    // Source 0 fills bin 2 more in the frames it holds alone, so the bin leans its way by one
    // factor for the window; from moment to moment the split follows the parts.
    const lean = registerRatio();
    expect(lean).toBeGreaterThan(2);
    for (const t of [20, 60, 80, 100, 140]) {
      expect(w(weights, 0, 0, t) / w(weights, 1, 0, t)).toBeGreaterThan(20);
      expect(w(weights, 1, 1, t) / w(weights, 0, 1, t)).toBeGreaterThan(20);
      expect(Math.abs(w(weights, 0, 2, t) / w(weights, 1, 2, t) / ((3 * a0[t]) / (2 * a1[t])) / lean - 1)).toBeLessThan(0.1);
    }
    // Appearance masks that cannot tell the two apart (0.5 / 0.5 everywhere): each bin goes to its source.
    const masks = new Float32Array(2 * 3 * frames).fill(0.5);
    shareMasks(masks, Float32Array.from(masks), dims, [0, 1], weights);
    expect(masks[60]).toBeGreaterThan(0.9); // source 0, bin 0
    expect(masks[(1 * 3 + 1) * frames + 60]).toBeGreaterThan(0.9); // source 1, bin 1
    expect(masks[60] + masks[3 * frames + 60]).toBeCloseTo(1, 6);
  });

  it('gives a bin both could fill, where they move alike, to the source that sounds in it elsewhere in the window', () => {
    // Source 0 plays alone, then both play moving alike (their movement cannot tell who fills what),
    // then source 1 alone. Bin 0 and bin 2 are source 0's notes, bin 1 source 1's.
    const swell = (t: number) => 0.55 + 0.45 * Math.sin((2 * Math.PI * t) / 31);
    const b0 = Float64Array.from({ length: frames }, (_, t) => (t < 140 ? swell(t) : 0));
    const b1 = Float64Array.from({ length: frames }, (_, t) => (t >= 40 ? swell(t) : 0));
    const m = new Float32Array(3 * frames);
    for (let t = 0; t < frames; t++) {
      m[t] = 3 * b0[t];
      m[frames + t] = 2 * b1[t];
      m[2 * frames + t] = 3 * b0[t];
    }
    const weights = movementWeights([b0, b1], m, dims);
    // Far enough from both solo parts that no fit reaches them (alone, the fit splits each bin evenly there).
    for (const t of [70, 90, 110]) {
      expect(w(weights, 0, 2, t) / w(weights, 1, 2, t)).toBeGreaterThan(20);
      expect(w(weights, 0, 0, t) / w(weights, 1, 0, t)).toBeGreaterThan(20);
      expect(w(weights, 1, 1, t) / w(weights, 0, 1, t)).toBeGreaterThan(20);
    }
  });

  it('carries where each source sounded from the windows before into a window where they only play together', () => {
    // Window A: source 0 alone (bins 0 and 2), then source 1 alone (bin 1). Window B: both play
    // all along and move alike, so nothing in B tells whose a bin is.
    const swell = (t: number) => 0.55 + 0.45 * Math.sin((2 * Math.PI * t) / 31);
    const solo0 = Float64Array.from({ length: frames }, (_, t) => (t < 80 ? swell(t) : 0));
    const solo1 = Float64Array.from({ length: frames }, (_, t) => (t >= 80 ? swell(t) : 0));
    const together = Float64Array.from({ length: frames }, (_, t) => swell(t));
    const bins3 = (b0: Float64Array, b1: Float64Array) => {
      const m = new Float32Array(3 * frames);
      for (let t = 0; t < frames; t++) {
        m[t] = 3 * b0[t];
        m[frames + t] = 2 * b1[t];
        m[2 * frames + t] = 3 * b0[t];
      }
      return m;
    };
    const alone = movementWeights([together, together], bins3(together, together), dims);
    const memory: RegisterMemory = { held: null };
    movementWeights([solo0, solo1], bins3(solo0, solo1), dims, memory);
    const after = movementWeights([together, together], bins3(together, together), dims, memory);
    for (const t of [40, 80, 120]) {
      // On its own, window B splits every bin evenly.
      for (const f of [0, 1, 2]) expect(w(alone, 0, f, t) / w(alone, 1, f, t)).toBeCloseTo(1, 3);
      expect(w(after, 0, 0, t) / w(after, 1, 0, t)).toBeGreaterThan(20);
      expect(w(after, 0, 2, t) / w(after, 1, 2, t)).toBeGreaterThan(20);
      expect(w(after, 1, 1, t) / w(after, 0, 1, t)).toBeGreaterThan(20);
    }
    // A later window's own evidence outweighs an older one's: in window C source 1 holds bin 2
    // alone, and where both then play together bin 2 is source 1's.
    const c0 = Float64Array.from({ length: frames }, (_, t) => (t >= 80 ? swell(t) : 0));
    const c1 = Float64Array.from({ length: frames }, (_, t) => swell(t));
    const mC = new Float32Array(3 * frames);
    for (let t = 0; t < frames; t++) mC[2 * frames + t] = 3 * c1[t];
    const c = movementWeights([c0, c1], mC, dims, memory);
    for (const t of [40, 120]) expect(w(c, 1, 2, t) / w(c, 0, 2, t)).toBeGreaterThan(2);
  });

  it("does not depend on the file's level", () => {
    const quiet = movementWeights([a0, a1], magnitude(1e-3), dims);
    const loud = movementWeights([a0, a1], magnitude(1e3), dims);
    for (let x = 0; x < quiet.length; x += 7) expect(loud[x]).toBeCloseTo(quiet[x], 4);
  });

  it("fits only where there is sound: past the media's end the sources' movement says nothing", () => {
    // The last window reaches past the media's end: the magnitude is 0 there, while each source's
    // activity holds its last value (or whatever the picture does after the sound stops).
    const end = 100;
    const ended = magnitude(1).map((v, x) => (x % frames < end ? v : 0));
    const past = (a: Float64Array, value: (t: number) => number) => a.map((v, t) => (t < end ? v : value(t)));
    const held = movementWeights([past(a0, () => a0[end - 1]), past(a1, () => a1[end - 1])], ended, dims);
    const still = movementWeights([past(a0, () => 0), past(a1, () => 0)], ended, dims);
    const moving = movementWeights([past(a0, (t) => (t % 7) / 7), past(a1, (t) => (t % 5) / 5)], ended, dims);
    // Up to the end each bin stays its source's, and the bin both fill is split by their parts and
    // where each sounds up to the end.
    for (const t of [80, 90, end - 1]) {
      expect(w(held, 0, 0, t) / w(held, 1, 0, t)).toBeGreaterThan(15);
      expect(w(held, 1, 1, t) / w(held, 0, 1, t)).toBeGreaterThan(15);
      expect(Math.abs(w(held, 0, 2, t) / w(held, 1, 2, t) / ((3 * a0[t]) / (2 * a1[t])) / registerRatio(end) - 1)).toBeLessThan(0.1);
    }
    // Whatever the picture does past the end.
    for (let k = 0; k < 2; k++) {
      for (let f = 0; f < 3; f++) {
        for (let t = 0; t < end; t++) {
          expect(w(held, k, f, t)).toBeCloseTo(w(still, k, f, t), 6);
          expect(w(moving, k, f, t)).toBeCloseTo(w(still, k, f, t), 6);
        }
      }
    }
  });

  it('keeps a new note with its player when the notes follow each other without a gap', () => {
    // Source 0 plays on without a break: one note in bin 0 until frame 80, the next in bin 1 from
    // there. Source 1, in bin 2, swells just as the note changes, so across the change its
    // loudness, not source 0's, rises and falls with bin 1.
    const change = 80;
    const b0 = Float64Array.from({ length: frames }, (_, t) => 0.7 + 0.2 * Math.sin((2 * Math.PI * t) / 29));
    const b1 = Float64Array.from({ length: frames }, (_, t) => 0.2 + 0.6 / (1 + Math.exp(-(t - change) / 3)));
    const legato = new Float32Array(3 * frames);
    for (let t = 0; t < frames; t++) {
      legato[t] = t < change ? 3 * b0[t] : 0;
      legato[frames + t] = t < change ? 0 : 3 * b0[t];
      legato[2 * frames + t] = 2 * b1[t];
    }
    const weights = movementWeights([b0, b1], legato, dims);
    // The frames right after the change still go to the swell (every fit within reach straddles
    // it), from 8 frames on the new note is mostly its player's, and from 14 on almost all (with
    // the fit centred on each frame, source 1 kept the larger part up to 19 frames after).
    for (const t of [change - 20, change - 2, change + 14, change + 18, change + 24, change + 40]) {
      const f = t < change ? 0 : 1;
      expect(w(weights, 0, f, t) / w(weights, 1, f, t)).toBeGreaterThan(5);
    }
  });

  it('leaves a still source only the floor, and the masks as they are where nothing moves', () => {
    const still = new Float64Array(frames);
    const weights = movementWeights([a0, still], magnitude(1), dims);
    for (let f = 0; f < 3; f++) expect(w(weights, 1, f, 80) / w(weights, 0, f, 80)).toBeLessThan(0.01);
    const none = movementWeights([still, still], magnitude(1), dims);
    const masks = Float32Array.from({ length: 2 * 3 * frames }, (_, x) => 0.2 + 0.6 * ((x * 7919) % 13) / 13);
    const before = Float32Array.from(masks);
    shareMasks(masks, new Float32Array(masks.length).fill(0.5), dims, [0, 1], none);
    for (let x = 0; x < masks.length; x++) expect(masks[x]).toBeCloseTo(before[x], 6);
  });
});
