import { UsageError } from '../args';
import { printJson, type Command } from '../command';
import { checkParity, defaultModelDir, describeModel, ModelRuntime } from '../../engine/models';
import { pick } from './separate';

export const command: Command = {
  name: 'doctor',
  summary: 'Check the installed model: files against their sha256, the device used, ONNX Runtime vs PyTorch parity',
  usage: 'doctor [--device cpu|cuda] [--model DIR] [--json]',
  options: {
    device: { kind: 'string', value: 'DEVICE', help: 'cpu or cuda (default: cuda when available, else cpu)' },
    model: { kind: 'string', value: 'DIR', help: 'model folder (default: the installed model)' },
    json: { kind: 'boolean', help: 'print JSON' },
  },
  async run({ options, positionals }, io) {
    if (positionals.length) throw new UsageError('doctor takes no file arguments');
    const device = options.device === undefined ? 'auto' : pick('device', options.device, ['cpu', 'cuda'] as const, 'cuda');
    const dir = typeof options.model === 'string' ? options.model : defaultModelDir();
    const rt = await ModelRuntime.create({ dir, device });
    try {
      const parity = await checkParity(rt);
      const report = {
        model: { name: rt.card.name, version: rt.card.modelVersion, sha256: rt.card.sha256, dir: rt.card.dir, stages: rt.card.stages, files: 'sha256 ok' },
        device: { requested: device, provider: rt.provider, notice: rt.notice },
        parity,
      };
      if (options.json) printJson(io, report);
      else {
        const lines = [
          `model:    ${describeModel(rt.card)} in ${rt.card.dir}`,
          `stages:   ${rt.card.stages.join(', ')}`,
          `files:    sha256 of ${Object.keys(rt.card.sessions).length} sessions ok`,
          `provider: ${rt.provider}${rt.notice ? ` (${rt.notice})` : ''}`,
          `parity:   ONNX Runtime vs PyTorch, max |diff| <= ${parity.tolerance}: ${parity.ok ? 'ok' : 'FAILED'}`,
          ...parity.results.map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(22)} ${r.maxAbsDiff.toExponential(2)} over ${r.values} values`),
        ];
        io.stdout.write(lines.join('\n') + '\n');
      }
      if (!parity.ok) io.stderr.write('stemsight: the model does not reproduce its PyTorch outputs here; reinstall it or re-export it\n');
      return parity.ok ? 0 : 1;
    } finally {
      await rt.release();
    }
  },
};
