import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProject, listMedia, recordStem, sha256File } from '../../../src/main/engine/project';
import { codeOf, world, type World } from './fakes';

let w: World;
beforeEach(() => (w = world()));
afterEach(() => w.close());

async function stem(projectId: number, mediaId: number, startFrame = 0): Promise<number> {
  const file = path.join(w.tmp, `residual-${projectId}.wav`);
  writeFileSync(file, 'pcm');
  const s = await recordStem(w.lib, {
    projectId, mediaId, jobId: null, sourceId: null, kind: 'residual', path: file, sha256: await sha256File(file),
    modelId: 'm', modelVersion: '1', params: {}, sampleRate: 44100, channels: 2, frames: 10, startFrame, preview: startFrame > 0,
  });
  return s.id;
}

describe('playback service', () => {
  it('decodes the original audio once and then serves it by its audio key', async () => {
    expect(await w.editor.playback.audioFile(`original-${w.mediaId}`)).toBeNull();
    const a = await w.editor.playback.mediaAudio(w.projectId);
    expect(a).toEqual({ audioKey: `original-${w.mediaId}`, sampleRate: 44100, channels: 2 });
    await w.editor.playback.mediaAudio(w.projectId);
    expect(w.engine.decodes).toEqual([w.mediaPath]);
    expect(await w.editor.playback.audioFile(a.audioKey)).toMatch(/original[\\/]\d+-f{16}\.wav$/);
  });

  it('says which file is missing instead of decoding', async () => {
    rmSync(w.mediaPath);
    await expect(w.editor.playback.mediaAudio(w.projectId)).rejects.toMatchObject({ code: 'not_found', message: 'clip.mp4 is missing; move it back or open it again.' });
    expect(w.engine.decodes).toEqual([]);
  });

  it('serves only stems in the library, and their peaks only to their own project', async () => {
    const id = await stem(w.projectId, w.mediaId);
    expect(await w.editor.playback.audioFile(`stem-${id}`)).toBe(path.join(w.tmp, `residual-${w.projectId}.wav`));
    for (const key of [`stem-${id + 1}`, 'stem-0', '../etc/passwd', `original-${w.mediaId}x`]) expect(await w.editor.playback.audioFile(key)).toBeNull();
    expect(await w.editor.playback.stemPeaks(w.projectId, id)).toEqual({ mediaId: w.mediaId, peaksPerSecond: 100, durationSec: 0.02, channels: [[0.5, 1]] });

    const other = createProject(w.lib, { name: 'Other', media: { path: path.join(w.tmp, 'b.mp4'), fingerprint: { size: 1, mtimeMs: 1, quickHash: 'e'.repeat(64) }, probe: {} } });
    const otherStem = await stem(other.id, listMedia(w.lib, other.id)[0].id);
    expect(await codeOf(() => w.editor.playback.stemPeaks(w.projectId, otherStem))).toBe('forbidden');
    expect(await codeOf(() => w.editor.playback.stemPeaks(w.projectId, 999))).toBe('not_found');
  });

  it('draws spectrograms of its own tracks only, in media time', async () => {
    const id = await stem(w.projectId, w.mediaId, 44100);
    const range = { fromSec: 3, spanSec: 2, columns: 4, rows: 2 };
    const img = await w.editor.playback.spectrogram(w.projectId, `stem-${id}`, range);
    expect(img).toMatchObject({ columns: 4, rows: 2, data: Buffer.from(new Uint8Array(8).fill(7)).toString('base64') });
    // The preview's file starts 1 s into the media.
    expect(w.engine.spectrograms).toEqual([{ file: path.join(w.tmp, `residual-${w.projectId}.wav`), ...range, fromSec: 2 }]);
    await w.editor.playback.spectrogram(w.projectId, `original-${w.mediaId}`, range);
    expect(w.engine.decodes).toEqual([w.mediaPath]);
    expect(w.engine.spectrograms[1].file).toMatch(/original[\\/]\d+-f{16}\.wav$/);

    const other = createProject(w.lib, { name: 'Other', media: { path: path.join(w.tmp, 'b.mp4'), fingerprint: { size: 1, mtimeMs: 1, quickHash: 'e'.repeat(64) }, probe: {} } });
    const otherMedia = listMedia(w.lib, other.id)[0].id;
    const otherStem = await stem(other.id, otherMedia);
    expect(await codeOf(() => w.editor.playback.spectrogram(w.projectId, `stem-${otherStem}`, range))).toBe('forbidden');
    expect(await codeOf(() => w.editor.playback.spectrogram(w.projectId, `original-${otherMedia}`, range))).toBe('forbidden');
    expect(await codeOf(() => w.editor.playback.spectrogram(w.projectId, 'stem-999', range))).toBe('not_found');
  });
});
