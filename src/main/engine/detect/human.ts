import { existsSync, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DetectedObject, Detector, RgbFrame } from './types';

/**
 * Faces (with the 468-point mesh for the mouth), one body pose (MoveNet) and hands, from
 * @vladmandic/human on tfjs's WebAssembly backend in plain Node. Everything is local: the wasm
 * binaries come from @tensorflow/tfjs-backend-wasm's dist/ (without wasmPath tfjs would fetch them
 * from a CDN and fall back to a far slower backend), and the weights from human's models/ folder
 * through a tfjs load router (Node's fetch cannot read file:// URLs).
 */

// Not named `require`: the main-process bundle declares its own at the top of each chunk.
const nodeRequire = createRequire(import.meta.url);

/** The weights this detector loads (all inside @vladmandic/human's models/). */
export const HUMAN_MODELS = ['blazeface', 'facemesh', 'movenet-lightning', 'handtrack', 'handlandmark-lite'] as const;

// Mesh landmarks: inner lips at the middle (13 upper, 14 lower) and the inner mouth corners.
const LIP_UPPER = 13, LIP_LOWER = 14, CORNER_LEFT = 78, CORNER_RIGHT = 308;

interface Point3 extends Array<number> {
  0: number;
  1: number;
}
interface HumanResult {
  face: { boxRaw: number[]; score: number; mesh: Point3[]; meshRaw: Point3[] }[];
  body: { boxRaw: number[]; score: number }[];
  hand: { boxRaw: number[]; score: number }[];
}
interface Tensor {
  dispose(): void;
}
interface HumanInstance {
  config: { cacheSensitivity: number; body: { enabled: boolean }; hand: { enabled: boolean } };
  tf: {
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): Tensor;
    getBackend(): string;
    io: {
      registerLoadRouter(router: (url: string | string[]) => unknown): void;
      getModelArtifactsForJSON(json: unknown, loadWeights: (manifest: WeightGroup[]) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
    };
  };
  version: string;
  load(): Promise<void>;
  detect(input: Tensor): Promise<HumanResult | { error: string }>;
}
interface WeightGroup {
  paths: string[];
  weights: unknown[];
}

/** Minimum scores: below these human's own results are mostly clutter. */
const MIN_SCORE = { face: 0.5, person: 0.3, hand: 0.5 };

/** A package's folder (not every package exports its package.json): up from its entry point. */
function packageDir(name: string): string {
  let dir = path.dirname(nodeRequire.resolve(name));
  while (!existsSync(path.join(dir, 'package.json')) || (nodeRequire(path.join(dir, 'package.json')) as { name?: string }).name !== name) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${name}; reinstall the dependencies (npm ci)`);
    dir = up;
  }
  return dir;
}

const version = (name: string) => (nodeRequire(path.join(packageDir(name), 'package.json')) as { version: string }).version;

const routed = new Set<string>();

/** Serve `file://<modelsDir>/...` model URLs from disk. */
function routeModels(tf: HumanInstance['tf'], modelsDir: string): void {
  if (routed.has(modelsDir)) return;
  routed.add(modelsDir);
  const prefix = 'file://' + modelsDir + path.sep;
  tf.io.registerLoadRouter((url) => {
    const u = Array.isArray(url) ? url[0] : url;
    if (typeof u !== 'string' || !u.startsWith(prefix)) return null;
    const file = u.slice('file://'.length);
    return {
      load: async () => {
        const json = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: unknown[] = [];
          const parts: Buffer[] = [];
          for (const group of manifest) {
            for (const p of group.paths) parts.push(await fsp.readFile(path.join(path.dirname(file), p)));
            specs.push(...group.weights);
          }
          const all = Buffer.concat(parts);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
        });
      },
    };
  });
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

function box(x: number, y: number, w: number, h: number): [number, number, number, number] {
  return [clamp01(x), clamp01(y), clamp01(x + w), clamp01(y + h)];
}

function dist(a: Point3, b: Point3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Inner-lip gap over the inner mouth width, from the mesh in pixels. */
export function mouthOpening(mesh: Point3[]): number | undefined {
  if (mesh.length < 468) return undefined;
  const width = dist(mesh[CORNER_LEFT], mesh[CORNER_RIGHT]);
  return width > 0 ? clamp01(dist(mesh[LIP_UPPER], mesh[LIP_LOWER]) / width) : undefined;
}

function faceBox(f: HumanResult['face'][number]): [number, number, number, number] {
  // The mesh outlines the face far more tightly than the detector's anchor box.
  if (f.meshRaw.length >= 468) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of f.meshRaw) {
      x0 = Math.min(x0, p[0]);
      y0 = Math.min(y0, p[1]);
      x1 = Math.max(x1, p[0]);
      y1 = Math.max(y1, p[1]);
    }
    return [clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)];
  }
  const [x, y, w, h] = f.boxRaw;
  return box(x, y, w, h);
}

function finiteBox(b: number[]): boolean {
  return b.length === 4 && b.every(Number.isFinite) && b[2] > 0 && b[3] > 0;
}

/** Names the runtime and weights (their package versions): changes when either does. */
export function detectorId(): string {
  return `human-${version('@vladmandic/human')}+tfjs-wasm-${version('@tensorflow/tfjs-backend-wasm')}`;
}

export async function createDetector(): Promise<Detector> {
  const humanDir = packageDir('@vladmandic/human');
  const wasmDir = path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  const modelsDir = path.join(humanDir, 'models');
  const { Human } = nodeRequire(path.join(humanDir, 'dist', 'human.node-wasm.js')) as { Human: new (config: object) => HumanInstance };
  const human = new Human({
    backend: 'wasm',
    wasmPath: wasmDir + path.sep,
    wasmPlatformFetch: false,
    modelBasePath: 'file://' + modelsDir + path.sep,
    debug: false,
    warmup: 'none',
    // Faces are followed from frame to frame by their meshes; the face detector (which finds new
    // faces) runs only on frames taken on their own (see detect below) or when no face is followed.
    cacheSensitivity: -1,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { modelPath: 'blazeface.json', skipFrames: Number.MAX_SAFE_INTEGER, skipTime: 1e12, rotation: false, maxDetected: 20, minConfidence: MIN_SCORE.face, return: false },
      mesh: { enabled: true, modelPath: 'facemesh.json' },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
    },
    body: { enabled: true, modelPath: 'movenet-lightning.json', skipFrames: 0, maxDetected: 1, minConfidence: MIN_SCORE.person },
    hand: { enabled: true, skipFrames: 0, maxDetected: 4, minConfidence: MIN_SCORE.hand, detector: { modelPath: 'handtrack.json' }, skeleton: { modelPath: 'handlandmark-lite.json' } },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  routeModels(human.tf, modelsDir);
  await human.load();
  const backend = human.tf.getBackend();
  if (backend !== 'wasm') throw new Error(`the picture detector runs on tfjs '${backend}' instead of WebAssembly; reinstall @tensorflow/tfjs-backend-wasm`);

  return {
    id: detectorId(),
    kinds: ['face', 'person', 'hand'],
    async detect(frame: RgbFrame, opts: { full?: boolean; hands?: boolean; independent?: boolean } = {}): Promise<DetectedObject[]> {
      const full = opts.full ?? true;
      human.config.body.enabled = full;
      human.config.hand.enabled = full && (opts.hands ?? true);
      // Human uses what it cached only while frames change by less than cacheSensitivity: below any
      // change (-1) every model runs on this frame alone (0 would also skip remembering the frame,
      // and the next frame, having nothing to compare with, would not follow either); out of reach,
      // faces are followed.
      human.config.cacheSensitivity = (opts.independent ?? true) ? -1 : 1e9;
      const input = human.tf.tensor3d(frame.rgb, [frame.height, frame.width, 3], 'int32');
      let r: HumanResult | { error: string };
      try {
        r = await human.detect(input);
      } finally {
        input.dispose();
      }
      if ('error' in r && r.error) throw new Error(`picture detection failed: ${r.error}`);
      const res = r as HumanResult;
      const out: DetectedObject[] = [];
      for (const f of res.face) {
        if (!(f.score >= MIN_SCORE.face) || !finiteBox(f.boxRaw)) continue;
        const mouth = mouthOpening(f.mesh);
        out.push({ kind: 'face', box: faceBox(f), score: f.score, ...(mouth === undefined ? {} : { mouth }) });
      }
      for (const b of res.body) {
        if (b.score >= MIN_SCORE.person && finiteBox(b.boxRaw)) out.push({ kind: 'person', box: box(b.boxRaw[0], b.boxRaw[1], b.boxRaw[2], b.boxRaw[3]), score: b.score });
      }
      for (const h of res.hand) {
        if (h.score >= MIN_SCORE.hand && finiteBox(h.boxRaw)) out.push({ kind: 'hand', box: box(h.boxRaw[0], h.boxRaw[1], h.boxRaw[2], h.boxRaw[3]), score: h.score });
      }
      return out;
    },
    async dispose() {
      // The wasm backend and the models live for the process; nothing to release per detector.
    },
  };
}
