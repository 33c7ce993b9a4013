import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './src/renderer/vite.config';

// main: the Electron entry (index) and the web entry (server), both plain ESM for Node/Electron,
// plus what worker threads load at run time: the job runner's worker entry and the job modules.
// Chunks stay next to the entries so the runner finds worker-entry.js beside itself.
// preload: CommonJS, because sandboxed preloads cannot be ES modules.
// renderer: shared with src/renderer/vite.config.ts, which builds/serves it without Electron.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          server: resolve(__dirname, 'src/main/server.ts'),
          'worker-entry': resolve(__dirname, 'src/main/engine/jobs/worker-entry.ts'),
          'jobs/analysis': resolve(__dirname, 'src/main/engine/analysis/job.ts'),
          'jobs/separation': resolve(__dirname, 'src/main/engine/separation/job.ts'),
          'jobs/stem-edit': resolve(__dirname, 'src/main/engine/stem-edit/job.ts'),
          'jobs/export': resolve(__dirname, 'src/main/engine/export/job.ts'),
          // The separation job starts this worker from beside itself (mask-client.ts).
          'jobs/mask-worker': resolve(__dirname, 'src/main/engine/separation/mask-worker.ts'),
          // The picture detectors' workers, started from the chunk shared by the jobs (detect/pool.ts).
          'detect-worker': resolve(__dirname, 'src/main/engine/detect/detect-worker.ts'),
        },
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
