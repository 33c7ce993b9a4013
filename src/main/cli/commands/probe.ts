import { UsageError } from '../args';
import { printJson, type Command } from '../command';
import { probeMedia, requireAudio } from '../../engine/media/probe';

export const command: Command = {
  name: 'probe',
  summary: 'Print what a media file contains (duration, frame size and rate, audio rate and channels) as JSON',
  usage: 'probe <media> [--allow-no-audio]',
  options: {
    'allow-no-audio': { kind: 'boolean', help: 'report files without an audio track instead of failing' },
  },
  details: [
    'Output: {"path","duration","container","sizeBytes","hasVideo","width","height","fps","videoCodec",',
    '"rotation","displayAspect","hasAudio","sampleRate","channels","audioCodec"}; fields of a missing',
    'stream are null. Stemsight needs sound, so a file without audio is an error unless --allow-no-audio.',
  ].join('\n'),
  async run({ options, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('probe takes exactly one media file (see stemsight probe --help)');
    const info = await probeMedia(positionals[0]);
    if (!options['allow-no-audio']) requireAudio(info);
    const v = info.video;
    const a = info.audio;
    printJson(io, {
      path: info.path,
      duration: info.durationSec,
      container: info.container,
      sizeBytes: info.sizeBytes,
      hasVideo: Boolean(v),
      width: v?.width ?? null,
      height: v?.height ?? null,
      fps: v?.fps ?? null,
      videoCodec: v?.codec ?? null,
      rotation: v?.rotation ?? null,
      displayAspect: v?.displayAspect ?? null,
      hasAudio: Boolean(a),
      sampleRate: a?.sampleRate ?? null,
      channels: a?.channels ?? null,
      audioCodec: a?.codec ?? null,
    });
    return 0;
  },
};
