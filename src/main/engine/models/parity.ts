import { promises as fsp } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { ModelError, FIX_HINT } from './errors';
import type { ModelRuntime } from './runtime';

/**
 * parity.bin (training/export.py write_tensors): 4-byte little-endian header length, a JSON
 * header {name: {shape, offset}}, then raw little-endian float32 data. It holds the export's test
 * inputs and PyTorch's outputs, so ONNX Runtime can be checked against PyTorch on this machine.
 */

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

export function parseTensors(buf: Uint8Array, name = 'parity.bin'): Map<string, StoredTensor> {
  const bad = (why: string) => new ModelError('CORRUPT', `${name} is damaged (${why}); ${FIX_HINT}`);
  if (buf.length < 4) throw bad('too short');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = view.getUint32(0, true);
  if (4 + hlen > buf.length) throw bad('header runs past the end');
  let header: Record<string, { shape: number[]; offset: number }>;
  try {
    header = JSON.parse(Buffer.from(buf.subarray(4, 4 + hlen)).toString('utf8'));
  } catch {
    throw bad('header is not JSON');
  }
  const base = 4 + hlen;
  const out = new Map<string, StoredTensor>();
  for (const [k, { shape, offset }] of Object.entries(header)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (base + offset + 4 * n > buf.length) throw bad(`tensor ${k} runs past the end`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(base + offset + 4 * i, true);
    out.set(k, { shape, data });
  }
  return out;
}

export interface ParityResult {
  name: string;
  maxAbsDiff: number;
  values: number;
  ok: boolean;
}

export interface ParityReport {
  tolerance: number;
  ok: boolean;
  results: ParityResult[];
}

const tensor = (t: StoredTensor) => new ort.Tensor('float32', t.data, t.shape);

function maxAbs(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** [..., T, F] -> [..., ::8, ::8] for a 4-D (B, C, H, W) tensor. */
function subsample8(data: Float32Array, shape: number[]): Float32Array {
  const [b, c, h, w] = shape;
  const hs = Math.ceil(h / 8), ws = Math.ceil(w / 8);
  const out = new Float32Array(b * c * hs * ws);
  let o = 0;
  for (let i = 0; i < b * c; i++) for (let y = 0; y < h; y += 8) for (let x = 0; x < w; x += 8) out[o++] = data[i * h * w + y * w + x];
  return out;
}

/**
 * Run the card's parity inputs through ONNX Runtime and compare with PyTorch's outputs. The audio
 * session is chained: its features feed the masks and localization sessions.
 */
export async function checkParity(rt: ModelRuntime, tolerance = 1e-4): Promise<ParityReport> {
  const card = rt.card;
  if (!card.parity) throw new ModelError('PARITY', `the model in ${card.dir} ships no parity file, so it cannot be checked`);
  const file = path.join(card.dir, card.parity);
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch {
    throw new ModelError('MISSING', `parity file ${card.parity} is missing from ${card.dir}; ${FIX_HINT}`, file);
  }
  const t = parseTensors(buf, card.parity);
  const need = (k: string) => {
    const v = t.get(k);
    if (!v) throw new ModelError('CORRUPT', `${card.parity} has no '${k}' tensor; ${FIX_HINT}`);
    return v;
  };
  const results: ParityResult[] = [];
  const add = (name: string, got: Float32Array, want: Float32Array) => {
    const d = maxAbs(got, want);
    results.push({ name, maxAbsDiff: d, values: want.length, ok: d <= tolerance });
  };
  const frames = need('frames');
  const vis = await rt.visual(frames.data, frames.shape[0]);
  add('visual_features', vis, need('visual_features').data);

  const audio = await rt.audio(need('magnitude').data);
  const fshape = audio.features.dims as number[];
  add('audio_features_sub8', subsample8(audio.features.data as Float32Array, fshape), need('audio_features_sub8').data);
  if (t.has('weights_sub8')) add('weights_sub8', subsample8(audio.weights.data as Float32Array, audio.weights.dims as number[]), need('weights_sub8').data);

  const src = need('source_features');
  add('masks', await rt.masks(audio, src.data, src.shape[0]), need('masks').data);

  const spans = need('spans');
  // Heatmaps are computed from PyTorch's visual features, as the export did.
  const visWant = need('visual_features');
  add('heatmaps', await rt.localize(audio, visWant.data, spans.data, spans.shape[0]), need('heatmaps').data);
  await checkMotionParity(rt, add);
  return { tolerance, ok: results.every((r) => r.ok), results };
}

/** [:, :, ::4, ::4, ::4] of a 5-D (B, C, T, H, W) tensor. */
function subsample4(data: Float32Array, shape: number[]): Float32Array {
  const [b, c, t, h, w] = shape;
  const out: number[] = [];
  for (let i = 0; i < b * c; i++) for (let z = 0; z < t; z += 4) for (let y = 0; y < h; y += 4) for (let x = 0; x < w; x += 4) out.push(data[((i * t + z) * h + y) * w + x]);
  return Float32Array.from(out);
}

/**
 * Parity of the motion and refine sessions when the card has them (parity-motion.bin;
 * its frames are rebuilt from the formula the export used: (7t + 13c + 3y + 5x) mod 256).
 */
async function checkMotionParity(rt: ModelRuntime, add: (name: string, got: Float32Array, want: Float32Array) => void): Promise<void> {
  const card = rt.card as ModelRuntime['card'] & { parityMotion?: { file?: string }; motion?: { frames?: number } };
  if (!card.parityMotion?.file || !rt.has('motion') || !rt.has('refine')) return;
  const file = path.join(card.dir, card.parityMotion.file);
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch {
    throw new ModelError('MISSING', `parity file ${card.parityMotion.file} is missing from ${card.dir}; ${FIX_HINT}`, file);
  }
  const t = parseTensors(buf, card.parityMotion.file);
  const need = (k: string) => {
    const v = t.get(k);
    if (!v) throw new ModelError('CORRUPT', `${card.parityMotion!.file} has no '${k}' tensor; ${FIX_HINT}`);
    return v;
  };
  const T = card.motion?.frames ?? need('motion_map').shape[1];
  const { width: W, height: H } = card.video;
  const frames = new Float32Array(T * 3 * H * W);
  let o = 0;
  for (let z = 0; z < T; z++) for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) frames[o++] = (7 * z + 13 * c + 3 * y + 5 * x) % 256;
  const m = await rt.run('motion', { frames: new ort.Tensor('float32', frames, [1, T, 3, H, W]) });
  add('motion_map', m.motion_map.data as Float32Array, need('motion_map').data);
  add('motion_features_sub4', subsample4(m.motion_features.data as Float32Array, m.motion_features.dims as number[]), need('motion_features_sub4').data);
  const audio = await rt.audio(need('magnitude').data);
  const src = need('source_features'), cells = need('source_cells');
  const r = await rt.run('refine', {
    audio_features: audio.features,
    weights: audio.weights,
    source_features: tensor(src),
    motion_features: m.motion_features,
    source_cells: tensor(cells),
    ...('activity' in card.sessions.refine.inputs ? { activity: tensor(need('activity')) } : {}),
  });
  add('refine_masks', r.masks.data as Float32Array, need('masks').data);
}
