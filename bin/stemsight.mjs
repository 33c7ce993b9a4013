#!/usr/bin/env node
// The `stemsight` command. Runs a built CLI when one exists (out/cli/stemsight.mjs), otherwise the
// TypeScript sources through tsx's loader, so it works straight from a clone and via `npx stemsight`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../out/cli/stemsight.mjs', import.meta.url));
let entry;
if (existsSync(built)) {
  entry = pathToFileURL(built).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/main/cli/index.ts', import.meta.url).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
