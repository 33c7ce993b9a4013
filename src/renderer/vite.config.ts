import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '..', '..');

/**
 * The renderer build, used by electron.vite.config.ts and on its own:
 *   npx vite build -c src/renderer/vite.config.ts [--watch]  -> out/renderer, which the web
 *   transport serves (reload the browser after a rebuild); `npm run dev` is the Electron dev loop.
 */
export const rendererConfig: UserConfig = {
  root: here,
  base: './',
  plugins: [svelte({ configFile: resolve(repo, 'svelte.config.js') })],
  build: {
    outDir: resolve(repo, 'out', 'renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    minify: true,
    // No inline <script> or data: URLs, so the strict CSP (script-src 'self') holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rolldownOptions: { input: resolve(here, 'index.html') },
  },
};

export default defineConfig(rendererConfig);
