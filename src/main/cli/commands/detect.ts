import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../args';
import type { Command } from '../command';
import { detectMedia, detectionsJson } from '../../engine/detect/detect';
import { writeFileAtomic } from '../../engine/fs/atomic';
import { probeMedia, requireVideo } from '../../engine/media/probe';

export const command: Command = {
  name: 'detect',
  summary: 'Find faces (with mouth opening and speaking), people and hands over time: DIR/detections.json',
  usage: 'detect <media> --out DIR [--fps N]',
  options: {
    out: { kind: 'string', value: 'DIR', help: 'folder for detections.json' },
    fps: { kind: 'string', value: 'N', help: 'frames per second analysed for faces and mouths (default 4; people once a second, hands every 2 s)' },
  },
  details: [
    'detections.json: {"frames":[{"time":seconds,"objects":[{"kind":"face"|"person"|"hand","track":n,',
    '"box":[x0,y0,x1,y1],"score":p,"mouth":0..1,"speaking":0..1}]}]}; boxes are 0..1 of the frame from',
    'its top-left; a track number follows one object over time; "mouth" (the inner-lip gap over the',
    "mouth's width) and \"speaking\" (how far the mouth moves with the speech heard) are given for faces.",
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('detect takes exactly one media file (see stemsight detect --help)');
    if (typeof options.out !== 'string' || !options.out) throw new UsageError('--out DIR is required');
    let fps: number | undefined;
    if (options.fps !== undefined) {
      fps = Number(options.fps);
      if (!(Number.isFinite(fps) && fps > 0 && fps <= 30)) throw new UsageError(`--fps '${String(options.fps)}' must be a number of frames per second in (0, 30]`);
    }
    const media = path.resolve(positionals[0]);
    const info = await probeMedia(media);
    requireVideo(info);
    const out = path.resolve(options.out);
    const tty = Boolean(io.stderr.isTTY);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const r = await detectMedia(media, {
        info,
        fps,
        signal: controller.signal,
        onProgress: (stage, f) => {
          if (tty) io.stderr.write(`\r\x1b[K${stage} ${(100 * f).toFixed(0)}%`);
        },
      });
      if (tty) io.stderr.write('\r\x1b[K');
      await fsp.mkdir(out, { recursive: true });
      await writeFileAtomic(path.join(out, 'detections.json'), JSON.stringify(detectionsJson(r.detections)) + '\n');
      if (io.stdout.isTTY) {
        const tracks = new Set(r.detections.frames.flatMap((f) => f.objects.map((o) => o.track))).size;
        io.stdout.write(`wrote detections.json (${r.detections.frames.length} frames, ${tracks} tracks) to ${out}${r.cached ? ' from the cache' : ''}\n`);
      }
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
