import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { defaultModelDir, loadCard, verifyModelFiles, type ModelCard } from './card';
import { FIX_HINT, ModelError } from './errors';

/**
 * ONNX Runtime sessions of one model, created once and reused. onnxruntime-node runs inference on
 * the calling thread, so a runtime belongs inside a worker thread (a JobRunner job or the CLI's
 * job), never on the Electron main thread. Providers: CUDA, then CPU; `provider` says which one
 * actually runs and `notice` explains a fallback in one line.
 */

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
export type Provider = 'cuda' | 'cpu';

export interface RuntimeOptions {
  dir?: string;
  device?: DeviceRequest;
  /** Sessions to open; default all sessions in the card. */
  sessions?: string[];
  /** Skip the sha256 check (only for tools that just checked it). */
  skipVerify?: boolean;
  /** Threads per session; default ONNX Runtime's choice (all cores). */
  threads?: number;
}

/** Audio features of one model window, kept as ONNX tensors to feed the next sessions without copies. */
export interface AudioFeatures {
  features: ort.Tensor;
  weights: ort.Tensor;
}

export type Tensors = Record<string, ort.Tensor>;

function cudaProviderLibrary(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const pkg = path.dirname(req.resolve('onnxruntime-node/package.json'));
    const lib = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
    return existsSync(lib) ? lib : null;
  } catch {
    return null;
  }
}

/** Why CUDA cannot be used here, or null when it might be. */
export function cudaUnavailableReason(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `CUDA is not supported on ${process.platform}`;
  if (process.platform === 'linux' && !cudaProviderLibrary()) return 'the CUDA build of ONNX Runtime is not installed';
  return null;
}

export class ModelRuntime {
  readonly card: ModelCard;
  readonly provider: Provider;
  /** One line when the requested device could not be used (e.g. CUDA asked for, CPU used). */
  readonly notice: string | null;
  private readonly sessions: Map<string, ort.InferenceSession>;

  private constructor(card: ModelCard, provider: Provider, notice: string | null, sessions: Map<string, ort.InferenceSession>) {
    this.card = card;
    this.provider = provider;
    this.notice = notice;
    this.sessions = sessions;
  }

  static async create(opts: RuntimeOptions = {}): Promise<ModelRuntime> {
    const card = await loadCard(opts.dir ?? defaultModelDir());
    const names = opts.sessions ?? Object.keys(card.sessions);
    if (!opts.skipVerify) await verifyModelFiles(card, names);
    ort.env.logLevel = 'fatal';
    const device = opts.device ?? 'auto';
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 4,
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    };
    const open = async (providers: string[]) => {
      const map = new Map<string, ort.InferenceSession>();
      try {
        for (const name of names) {
          const file = path.join(card.dir, card.sessions[name].file);
          map.set(name, await ort.InferenceSession.create(file, { ...base, executionProviders: providers }));
        }
      } catch (err) {
        await Promise.all([...map.values()].map((s) => s.release().catch(() => undefined)));
        throw err;
      }
      return map;
    };

    let notice: string | null = null;
    if (device !== 'cpu') {
      const reason = cudaUnavailableReason();
      if (!reason) {
        try {
          return new ModelRuntime(card, 'cuda', null, await open(['cuda']));
        } catch (err) {
          notice = `CUDA is not available (${firstLine(err)}); running on the CPU`;
        }
      } else {
        notice = `CUDA is not available (${reason}); running on the CPU`;
      }
      // Asking for the CPU implicitly ('auto') on a machine without CUDA is normal, not news.
      if (device === 'auto') notice = null;
    }
    try {
      return new ModelRuntime(card, 'cpu', notice, await open(['cpu']));
    } catch (err) {
      throw new ModelError('RUNTIME', `ONNX Runtime cannot load the model in ${card.dir} (${firstLine(err)}); ${FIX_HINT}`);
    }
  }

  has(session: string): boolean {
    return this.sessions.has(session);
  }

  /** Run any session by name (stages beyond the four core sessions use this). */
  async run(session: string, feeds: Tensors): Promise<Tensors> {
    const s = this.sessions.get(session);
    if (!s) throw new ModelError('RUNTIME', `the model has no '${session}' session loaded`);
    try {
      return (await s.run(feeds)) as Tensors;
    } catch (err) {
      throw new ModelError('RUNTIME', `inference failed in ${session}.onnx (${firstLine(err)})`);
    }
  }

  /** frames (F, 3, H, W) RGB 0..255 -> visual features (F, K, gh, gw). */
  async visual(frames: Float32Array, count: number): Promise<Float32Array> {
    const { width, height } = this.card.video;
    const out = await this.run('visual', { frames: new ort.Tensor('float32', frames, [count, 3, height, width]) });
    return out.visual_features.data as Float32Array;
  }

  /** Linear STFT magnitude (1, bins, frames) of one model window -> audio features. */
  async audio(magnitude: Float32Array): Promise<AudioFeatures> {
    const { bins, frames } = this.card.audio;
    const out = await this.run('audio', { magnitude: new ort.Tensor('float32', magnitude, [1, bins, frames]) });
    return { features: out.audio_features, weights: out.weights };
  }

  /** Source feature vectors (N, K) -> masks (N, bins, frames) in 0..1. */
  async masks(audio: AudioFeatures, sources: Float32Array, count: number): Promise<Float32Array> {
    const k = this.card.video.features;
    const out = await this.run('masks', { audio_features: audio.features, source_features: new ort.Tensor('float32', sources, [count, k]) });
    return out.masks.data as Float32Array;
  }

  /** Heatmaps (F, gh, gw) for F frames: their visual features and spans over the window's STFT frames. */
  async localize(audio: AudioFeatures, visual: Float32Array, spans: Float32Array, count: number): Promise<Float32Array> {
    const [gh, gw] = this.card.video.grid;
    const k = this.card.video.features;
    const out = await this.run('localization', {
      audio_features: audio.features,
      weights: audio.weights,
      visual_features: new ort.Tensor('float32', visual, [count, k, gh, gw]),
      spans: new ort.Tensor('float32', spans, [count, this.card.audio.frames]),
    });
    return out.heatmaps.data as Float32Array;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.release().catch(() => undefined)));
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].replace(/^\S+: /, '').slice(0, 200);
}

/**
 * One runtime per model folder and device in this thread, created on first use: jobs running in
 * the same worker share sessions instead of loading them again.
 */
const cache = new Map<string, Promise<ModelRuntime>>();
export function sharedRuntime(opts: RuntimeOptions = {}): Promise<ModelRuntime> {
  const key = `${path.resolve(opts.dir ?? defaultModelDir())}|${opts.device ?? 'auto'}`;
  let p = cache.get(key);
  if (!p) {
    p = ModelRuntime.create(opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
