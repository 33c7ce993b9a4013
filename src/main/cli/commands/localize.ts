import path from 'node:path';
import { UsageError } from '../args';
import type { Command } from '../command';
import { probeMedia, requireAudio, requireVideo } from '../../engine/media/probe';
import type { AnalysisJobParams, AnalysisJobResult } from '../../engine/analysis/job';
import { pick, runJob } from './separate';

export const command: Command = {
  name: 'localize',
  summary: 'Find what is sounding where: DIR/heatmaps.json (per frame, over the whole frame) and a PNG overlay per second',
  usage: 'localize <media> --out DIR [--device cpu|cuda]',
  options: {
    out: { kind: 'string', value: 'DIR', help: 'folder for heatmaps.json and the overlays' },
    device: { kind: 'string', value: 'DEVICE', help: 'cpu or cuda (default: cuda when available, else cpu)' },
  },
  details: 'heatmaps.json: {"grid":[rows,cols],"frames":[{"time":seconds,"values":[rows*cols numbers in 0..1, row-major, top-left first]}]}',
  async run({ options, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('localize takes exactly one media file (see stemsight localize --help)');
    if (typeof options.out !== 'string' || !options.out) throw new UsageError('--out DIR is required');
    const device = options.device === undefined ? 'auto' : pick('device', options.device, ['cpu', 'cuda'] as const, 'cuda');
    const media = path.resolve(positionals[0]);
    const info = await probeMedia(media);
    requireAudio(info);
    requireVideo(info);
    // 'auto': on real footage the heatmaps come from the faces that speak (the detectors run).
    const params: AnalysisJobParams = { media, device, localizeOut: path.resolve(options.out), scene: 'auto' };
    const r = await runJob<AnalysisJobResult>('analysis', params, io);
    if (r.notice) io.stderr.write(`stemsight: note: ${r.notice}\n`);
    if (io.stdout.isTTY) io.stdout.write(`wrote heatmaps.json (${r.frames} frames) and ${r.localize?.overlays.length ?? 0} overlays to ${params.localizeOut}\n`);
    return 0;
  },
};
