import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkParity, cudaUnavailableReason, defaultModelDir, loadCard, ModelError, ModelRuntime, parseTensors, verifyModelFiles } from '../../../src/main/engine/models';

const shipped = defaultModelDir();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the shipped model to damage. */
function copyModel(name: string): string {
  const dir = path.join(tmp, name);
  cpSync(shipped, dir, { recursive: true });
  return dir;
}

async function modelError(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return err as ModelError;
  }
  throw new Error('expected a ModelError');
}

describe('shipped model', () => {
  it('has a valid card whose files match their sha256', async () => {
    const card = await loadCard(shipped);
    expect(card.stages).toContain('appearance');
    expect(card.audio).toMatchObject({ sampleRate: 11025, nFft: 1022, hop: 256, windowSamples: 65535, frames: 256, bins: 512 });
    await verifyModelFiles(card);
  });

  it('ONNX Runtime output matches PyTorch within 1e-4 (visual features, chained audio features, masks, heatmaps)', async () => {
    const rt = await ModelRuntime.create({ dir: shipped, device: 'cpu' });
    try {
      const report = await checkParity(rt, 1e-4);
      expect(report.results.map((r) => r.name)).toEqual(expect.arrayContaining(['visual_features', 'audio_features_sub8', 'masks', 'heatmaps']));
      for (const r of report.results) expect(r.maxAbsDiff, r.name).toBeLessThanOrEqual(1e-4);
      expect(report.ok).toBe(true);
    } finally {
      await rt.release();
    }
  });

  it('parity catches a wrong output (the check can fail)', async () => {
    const dir = copyModel('parity-off');
    const file = path.join(dir, 'parity.bin');
    const buf = readFileSync(file);
    const t = parseTensors(buf);
    const hlen = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + hlen).toString());
    // Nudge one stored PyTorch mask value by 1e-3.
    const at = 4 + hlen + header.masks.offset + 4 * 1234;
    buf.writeFloatLE(t.get('masks')!.data[1234] + 1e-3, at);
    writeFileSync(file, buf);
    const rt = await ModelRuntime.create({ dir, device: 'cpu', sessions: ['visual', 'audio', 'masks', 'localization'] });
    try {
      const report = await checkParity(rt);
      expect(report.ok).toBe(false);
      expect(report.results.find((r) => r.name === 'masks')!.ok).toBe(false);
    } finally {
      await rt.release();
    }
  });
});

describe('missing or damaged model files', () => {
  it('no card: says the model is missing and what to do', async () => {
    const e = await modelError(ModelRuntime.create({ dir: path.join(tmp, 'nowhere') }));
    expect(e.reason).toBe('MISSING');
    expect(e.message).toMatch(/card\.json is missing; reinstall Stemsight, or re-export/);
  });

  it('a session file altered by one byte: names the file', async () => {
    const dir = copyModel('corrupt');
    const f = path.join(dir, 'masks.onnx');
    const b = readFileSync(f);
    b[b.length - 10] ^= 0xff;
    writeFileSync(f, b);
    const e = await modelError(ModelRuntime.create({ dir }));
    expect(e.reason).toBe('CORRUPT');
    expect(e.message).toMatch(/masks\.onnx .*damaged or altered/);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('a session file deleted: names the file', async () => {
    const dir = copyModel('missing-file');
    unlinkSync(path.join(dir, 'visual.onnx'));
    const e = await modelError(ModelRuntime.create({ dir }));
    expect(e.reason).toBe('MISSING');
    expect(e.message).toMatch(/visual\.onnx is missing/);
  });

  it('a card that is not JSON, or lacks what the app needs', async () => {
    const dir = copyModel('bad-card');
    writeFileSync(path.join(dir, 'card.json'), '{"format": "stemsight-model-card",');
    expect((await modelError(loadCard(dir))).reason).toBe('INVALID_CARD');
    const card = JSON.parse(readFileSync(path.join(shipped, 'card.json'), 'utf8'));
    delete card.sessions.masks;
    writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
    expect((await modelError(loadCard(dir))).message).toMatch(/sessions must include/);
  });

  it('class queries must be the length of the visual features, one per class of the card', async () => {
    const dir = copyModel('bad-class-queries');
    const card = JSON.parse(readFileSync(path.join(shipped, 'card.json'), 'utf8'));
    card.classQueries = { guitar: [1, 2, 3] };
    writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
    expect((await modelError(loadCard(dir))).message).toMatch(/class query for 'guitar' that is not one of its classes or not 24 numbers long/);
    card.classQueries = { kazoo: new Array(24).fill(0) };
    writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
    expect((await modelError(loadCard(dir))).message).toMatch(/class query for 'kazoo'/);
  });

  it('a newer card with extra stages and sessions still loads', async () => {
    const dir = copyModel('newer');
    const card = JSON.parse(readFileSync(path.join(shipped, 'card.json'), 'utf8'));
    card.stages = ['appearance', 'motion'];
    card.cardVersion = 2;
    card.sessions.motion = { file: 'motion.onnx', sha256: 'a'.repeat(64), inputs: { frames: [1, 48, 3, 128, 224] }, outputs: { motion_features: [1, 32, 48, 16, 28] } };
    writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
    const loaded = await loadCard(dir);
    expect(loaded.stages).toEqual(['appearance', 'motion']);
  });
});

describe('execution providers', () => {
  it('falls back to the CPU with a clear message when CUDA is asked for but unavailable', async () => {
    const rt = await ModelRuntime.create({ dir: shipped, device: 'cuda', sessions: ['masks'] });
    try {
      if (cudaUnavailableReason() === null && rt.provider === 'cuda') {
        expect(rt.notice).toBeNull();
      } else {
        expect(rt.provider).toBe('cpu');
        expect(rt.notice).toMatch(/^CUDA is not available \(.+\); running on the CPU$/);
      }
    } finally {
      await rt.release();
    }
  });

  it('cpu asked for: cpu, no notice', async () => {
    const rt = await ModelRuntime.create({ dir: shipped, device: 'cpu', sessions: ['masks'] });
    expect(rt.provider).toBe('cpu');
    expect(rt.notice).toBeNull();
    await rt.release();
  });
});
