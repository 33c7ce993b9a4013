import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mediaInfoFromProbe, probeMedia, requireAudio, requireVideo } from '../../../src/main/engine/media/probe';
import { MediaError } from '../../../src/main/engine/media/errors';
import { locateTool } from '../../../src/main/engine/media/binaries';
import { makeMediaFixtures, type MediaFixtures } from '../../fixtures/make-media';

let fx: MediaFixtures;
beforeAll(() => {
  fx = makeMediaFixtures();
});
afterAll(() => fx.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return (err as MediaError).reason;
  }
}

describe('probeMedia', () => {
  it('reads an H.264/AAC mp4', async () => {
    const info = await probeMedia(fx.mp4);
    expect(info.durationSec).toBeGreaterThan(1.9);
    expect(info.durationSec).toBeLessThan(2.2);
    expect(info.container).toContain('mp4');
    expect(info.video).toMatchObject({ width: 160, height: 90, fps: 10, codec: 'h264', rotation: 0, sampleAspect: 1 });
    expect(info.video!.displayAspect).toBeCloseTo(16 / 9, 6);
    expect(info.audio).toMatchObject({ sampleRate: 48000, channels: 2, codec: 'aac' });
  });

  it.each([
    ['mov', { width: 160, height: 120, fps: 12 }, { sampleRate: 44100, channels: 1, codec: 'aac' }],
    ['mkv', { width: 96, height: 96, fps: 10 }, { sampleRate: 22050, channels: 2, codec: 'vorbis' }],
    ['webm', { width: 128, height: 72, fps: 10, codec: 'vp8' }, { sampleRate: 48000, channels: 2, codec: 'opus' }],
  ] as const)('reads %s', async (kind, video, audio) => {
    const info = await probeMedia(fx[kind]);
    expect(info.video).toMatchObject(video);
    expect(info.audio).toMatchObject(audio);
    expect(info.durationSec).toBeGreaterThan(1.4);
  });

  it('reports a video without audio as such, and requireAudio explains', async () => {
    const info = await probeMedia(fx.noAudio);
    expect(info.audio).toBeUndefined();
    expect(info.video).toBeDefined();
    expect(() => requireAudio(info)).toThrow(/no audio track/);
    try {
      requireAudio(info);
    } catch (e) {
      expect((e as MediaError).reason).toBe('NO_AUDIO');
    }
    expect(() => requireVideo(info)).not.toThrow();
  });

  it('gives distinct codes for truncated, text and missing files', async () => {
    expect(await codeOf(probeMedia(fx.truncated))).toBe('TRUNCATED');
    expect(await codeOf(probeMedia(fx.textAsMp4))).toBe('NOT_MEDIA');
    expect(await codeOf(probeMedia(path.join(fx.dir, 'nope.mp4')))).toBe('NOT_FOUND');
    expect(await codeOf(probeMedia(fx.dir))).toBe('NOT_A_FILE');
    const empty = path.join(fx.dir, 'empty.mp4');
    writeFileSync(empty, '');
    expect(await codeOf(probeMedia(empty))).toBe('NOT_MEDIA');
    const binary = path.join(fx.dir, 'random.mp4');
    writeFileSync(binary, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
    expect(await codeOf(probeMedia(binary))).toBe('NOT_MEDIA');
  });

  it('treats file names literally (leading dash, colon)', async () => {
    const sub = path.join(fx.dir, 'odd');
    mkdirSync(sub, { recursive: true });
    const odd = path.join(sub, '-x:y.mp4');
    writeFileSync(odd, (await import('node:fs')).readFileSync(fx.mp4));
    expect((await probeMedia(odd)).video?.width).toBe(160);
  });

  it('honours STEMSIGHT_FFPROBE and complains clearly when it is wrong', () => {
    const old = process.env.STEMSIGHT_FFPROBE;
    process.env.STEMSIGHT_FFPROBE = path.join(fx.dir, 'no-such-ffprobe');
    try {
      expect(() => locateTool('ffprobe')).toThrow(/STEMSIGHT_FFPROBE is set to .* not an executable/);
    } finally {
      if (old === undefined) delete process.env.STEMSIGHT_FFPROBE;
      else process.env.STEMSIGHT_FFPROBE = old;
    }
    expect(locateTool('ffprobe').path).toBeTruthy();
  });
});

describe('mediaInfoFromProbe', () => {
  it('applies rotation and sample aspect', () => {
    const info = mediaInfoFromProbe(
      {
        format: { format_name: 'mov,mp4', duration: '3.5' },
        streams: [
          { codec_type: 'video', codec_name: 'png', width: 64, height: 64, disposition: { attached_pic: 1 } },
          {
            codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, sample_aspect_ratio: '1:1',
            avg_frame_rate: '30000/1001', side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }],
          },
          { codec_type: 'audio', codec_name: 'aac', sample_rate: '44100', channels: 2 },
        ],
      },
      'x.mp4',
      10,
    );
    expect(info.video).toMatchObject({ width: 1080, height: 1920, codedWidth: 1920, rotation: 90, codec: 'h264' });
    expect(info.video!.fps).toBeCloseTo(29.97, 2);
    const anamorphic = mediaInfoFromProbe(
      { format: {}, streams: [{ codec_type: 'video', width: 720, height: 576, sample_aspect_ratio: '16:15', r_frame_rate: '25/1', tags: { DURATION: '00:01:02.500000000' } }] },
      'y.mkv',
      10,
    );
    expect(anamorphic.video!.displayAspect).toBeCloseTo(4 / 3, 6);
    expect(anamorphic.durationSec).toBeCloseTo(62.5, 6);
    expect(anamorphic.audio).toBeUndefined();
  });
});

describe('truncation check', () => {
  it('accepts an mp4 with unknown trailing bytes but rejects one whose data box is cut', async () => {
    const fs = await import('node:fs');
    const whole = fs.readFileSync(fx.mp4);
    const padded = path.join(fx.dir, 'padded.mp4');
    fs.writeFileSync(padded, Buffer.concat([whole, Buffer.from('\x07\x07\x07\x07garbage-trailer')]));
    expect((await probeMedia(padded)).audio?.channels).toBe(2);
    // Faststart layout (index first), then cut inside the media data: ffprobe alone would accept it.
    const { execFileSync } = await import('node:child_process');
    const { ffmpegPath } = await import('../../../src/main/engine/media/binaries');
    const fast = path.join(fx.dir, 'fast.mp4');
    execFileSync(ffmpegPath(), ['-v', 'error', '-y', '-i', fx.mp4, '-c', 'copy', '-movflags', '+faststart', fast]);
    const cut = path.join(fx.dir, 'fast-cut.mp4');
    const bytes = fs.readFileSync(fast);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    await expect(probeMedia(cut)).rejects.toMatchObject({ code: 'media_error', reason: 'TRUNCATED' });
  });
});
