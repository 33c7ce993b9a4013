// DSP/media speed figures for docs/benchmarks.md: `npx tsx scripts/bench-dsp.ts` (same as `stemsight bench dsp`).
import { main } from '../src/main/cli/index';

process.exitCode = await main(['bench', 'dsp', ...process.argv.slice(2)]);
