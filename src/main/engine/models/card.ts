import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { FIX_HINT, ModelError } from './errors';

/**
 * The model card (resources/models/<name>/card.json, written by training/export.py): what the
 * sessions expect and how the app must prepare their inputs. Validated strictly where the app
 * depends on a value, loosely elsewhere so that later cards (with stages this version does not
 * know, and their sessions and sections) still load in this version.
 */

const dims = v.array(v.pipe(v.number(), v.integer(), v.minValue(1)));
const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

const SessionSchema = v.looseObject({
  file: v.pipe(v.string(), v.regex(/^[\w.-]+\.onnx$/, 'session file must be a plain .onnx file name')),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits')),
  inputs: v.record(v.string(), dims),
  outputs: v.record(v.string(), dims),
  dynamic: v.optional(v.record(v.string(), v.record(v.string(), v.string())), {}),
});

/**
 * The motion stage's section (stages/motion.ts): T frames per window and C channels of its motion
 * features; stages/motion.ts supplies the trained values where the card says nothing.
 */
const MotionSectionSchema = v.looseObject({
  frames: v.optional(positiveInt),
  features: v.optional(positiveInt),
});

export const CardSchema = v.looseObject({
  format: v.literal('stemsight-model-card'),
  cardVersion: v.pipe(v.number(), v.integer(), v.minValue(1)),
  name: v.pipe(v.string(), v.minLength(1)),
  modelVersion: v.string(),
  created: v.optional(v.string()),
  stages: v.pipe(v.array(v.string()), v.minLength(1), v.includes('appearance', 'the card must declare the appearance stage')),
  audio: v.looseObject({
    sampleRate: positiveInt,
    nFft: positiveInt,
    hop: positiveInt,
    window: v.literal('hann-periodic'),
    center: v.literal(true),
    padMode: v.literal('reflect'),
    windowSamples: positiveInt,
    frames: positiveInt,
    bins: positiveInt,
  }),
  video: v.looseObject({
    fps: v.pipe(v.number(), v.minValue(0.1), v.maxValue(240)),
    width: positiveInt,
    height: positiveInt,
    fit: v.picklist(['stretch', 'letterbox', 'crop']),
    layout: v.literal('NCHW'),
    channels: v.literal('RGB'),
    range: v.tuple([v.number(), v.number()]),
    featureStride: positiveInt,
    grid: v.tuple([positiveInt, positiveInt]),
    features: positiveInt,
  }),
  classes: v.optional(v.array(v.string()), []),
  /**
   * One learned query vector (video.features long) per class, added to a source's query when it is
   * asked for by name (separation/query.ts). Absent in cards trained before class queries.
   */
  classQueries: v.optional(v.record(v.string(), v.array(v.pipe(v.number(), v.finite())))),
  sessions: v.pipe(
    v.record(v.string(), SessionSchema),
    v.check((s) => ['visual', 'audio', 'masks', 'localization'].every((k) => k in s), 'sessions must include visual, audio, masks and localization'),
  ),
  // Sections of the later stages (stages/), each optional: a card without the stage has none.
  motion: v.optional(MotionSectionSchema),
  parity: v.optional(v.nullable(v.string()), null),
  parameters: v.optional(v.number()),
});

export type CardJson = v.InferOutput<typeof CardSchema>;
export type SessionSpec = v.InferOutput<typeof SessionSchema>;

export interface ModelCard extends CardJson {
  /** Folder holding card.json and the sessions. */
  dir: string;
  /** sha256 of card.json's bytes: names this exact model (cache keys, manifests). */
  sha256: string;
}

/** The shipped model: STEMSIGHT_MODEL_DIR, else resources/models/default of this checkout/app. */
export function defaultModelDir(): string {
  if (process.env.STEMSIGHT_MODEL_DIR) return path.resolve(process.env.STEMSIGHT_MODEL_DIR);
  // Walk up from this file to the folder that has resources/ (source tree and built app alike).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'resources', 'models', 'default');
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve('resources', 'models', 'default');
}

function formatIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  const where = first.path?.map((p) => String(p.key)).join('.') ?? '';
  return where ? `${where}: ${first.message}` : first.message;
}

/** Read and validate card.json (no file checks; see verifyModelFiles). */
export async function loadCard(dir: string = defaultModelDir()): Promise<ModelCard> {
  const file = path.join(dir, 'card.json');
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelError('MISSING', `no model found: ${file} is missing; ${FIX_HINT}`, file);
    throw new ModelError('MISSING', `cannot read ${file} (${code ?? String(err)}); check its permissions`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelError('INVALID_CARD', `model card ${file} is not valid JSON (damaged); ${FIX_HINT}`, file);
  }
  const parsed = v.safeParse(CardSchema, json);
  if (!parsed.success) throw new ModelError('INVALID_CARD', `model card ${file} is invalid (${formatIssues(parsed.issues)}); ${FIX_HINT}`, file);
  const card = parsed.output;
  // The app prepares inputs itself: the numbers it relies on must be consistent.
  const a = card.audio;
  if (Math.floor(a.nFft / 2) + 1 !== a.bins || 1 + Math.floor(a.windowSamples / a.hop) !== a.frames) {
    throw new ModelError('INVALID_CARD', `model card ${file} has inconsistent audio settings (nFft ${a.nFft}, hop ${a.hop}, window ${a.windowSamples}); ${FIX_HINT}`, file);
  }
  const vd = card.video;
  if (Math.floor(vd.height / vd.featureStride) !== vd.grid[0] || Math.floor(vd.width / vd.featureStride) !== vd.grid[1]) {
    throw new ModelError('INVALID_CARD', `model card ${file} has a feature grid that does not match its frame size; ${FIX_HINT}`, file);
  }
  for (const [name, q] of Object.entries(card.classQueries ?? {})) {
    if (!card.classes.includes(name) || q.length !== vd.features) {
      throw new ModelError('INVALID_CARD', `model card ${file} has a class query for '${name}' that is not one of its classes or not ${vd.features} numbers long; ${FIX_HINT}`, file);
    }
  }
  return { ...card, dir: path.resolve(dir), sha256: createHash('sha256').update(bytes).digest('hex') };
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Check every session file named by the card against its sha256. Throws a ModelError naming the
 * first missing or altered file.
 */
export async function verifyModelFiles(card: ModelCard, sessions: string[] = Object.keys(card.sessions)): Promise<void> {
  for (const name of sessions) {
    const spec = card.sessions[name];
    if (!spec) throw new ModelError('INVALID_CARD', `model card in ${card.dir} has no '${name}' session; ${FIX_HINT}`);
    const file = path.join(card.dir, spec.file);
    let actual: string;
    try {
      actual = await sha256OfFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelError('MISSING', `model file ${spec.file} is missing from ${card.dir} (${code ?? 'unreadable'}); ${FIX_HINT}`, file);
    }
    if (actual !== spec.sha256) {
      throw new ModelError('CORRUPT', `model file ${spec.file} in ${card.dir} is damaged or altered (sha256 does not match the model card); ${FIX_HINT}`, file);
    }
  }
}

/** Short human id for logs and manifests: "stemsight-default 0.1.0 (card 1a2b3c4d)". */
export function describeModel(card: ModelCard): string {
  return `${card.name} ${card.modelVersion} (card ${card.sha256.slice(0, 8)})`;
}
