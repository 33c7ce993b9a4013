// Svelte 5 with runes everywhere; TypeScript in <script lang="ts"> is handled natively by Svelte.
/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  compilerOptions: {
    runes: true,
  },
};
