#!/usr/bin/env node
// Runs a Python module of training/ with a Python that has PyTorch: $STEMSIGHT_PYTHON, Debian's
// /usr/bin/python3 (python3-torch), then python3 on PATH.  Usage: node scripts/python.mjs -m MODULE ...
import { spawnSync } from 'node:child_process';

const candidates = [process.env.STEMSIGHT_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
const python = candidates.find(
  (p) => spawnSync(p, ['-c', 'import torch, scipy, PIL, mir_eval'], { stdio: 'ignore' }).status === 0,
);
if (!python) {
  console.error(
    'stemsight: training needs Python 3 with PyTorch, SciPy, Pillow and mir_eval ' +
      '(Debian: apt-get install python3-torch python3-scipy python3-pil python3-matplotlib python3-mir-eval ' +
      'fluidsynth fluid-soundfont-gm espeak-ng fonts-noto-color-emoji ffmpeg), or set STEMSIGHT_PYTHON.',
  );
  process.exit(1);
}
const r = spawnSync(python, process.argv.slice(2), {
  stdio: 'inherit',
  env: { ...process.env, PYTHONWARNINGS: 'ignore' },
});
process.exit(r.status ?? 1);
