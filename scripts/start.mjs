#!/usr/bin/env node
// `npm start`: build what is stale, then open the Electron window. Where Electron cannot run (its
// binary was not downloaded, or there is no display) say why and serve the same UI on 127.0.0.1.
//
//   npm start                   desktop app, or the browser UI as a fallback
//   npm start -- --web          always the browser UI (prints the URL with its access token)
//   npm start -- --port 8765    fixed port for the browser UI
//   npm run build               build main, preload and renderer into out/
//   npm run dev                 Electron dev loop (hot reload), or a rebuild-on-save browser UI
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { electronMajor, electronNativeDir, locateElectron, root } from './electron-env.mjs';
import { runChild } from './run-child.mjs';

const { values } = parseArgs({
  options: {
    web: { type: 'boolean', default: false },
    dev: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  allowPositionals: true,
});

const say = (line) => console.log(line);
const bin = (pkg, file) => path.join(root, 'node_modules', pkg, file);
// electron-vite reads Electron's version to pick build targets; give it one when the package is absent.
const buildEnv = { ...process.env, ELECTRON_MAJOR_VER: process.env.ELECTRON_MAJOR_VER ?? electronMajor() };

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function buildIfNeeded(force = false) {
  const outputs = ['out/main/index.js', 'out/main/server.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => path.join(root, p));
  const inputs = [path.join(root, 'src'), path.join(root, 'electron.vite.config.ts'), path.join(root, 'package.json')];
  const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  const source = Math.max(...inputs.map((p) => (statSync(p).isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)));
  if (built > source && !force) return;
  say('Building Stemsight…');
  const r = spawnSync(process.execPath, [bin('electron-vite', 'bin/electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, env: buildEnv, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('The build failed (see above). Run "npm install" again if dependencies are missing.');
    process.exit(r.status ?? 1);
  }
}

function whyNotElectron() {
  if (values.web) return null; // asked for the browser UI; nothing to explain
  const electron = locateElectron();
  if (!electron.binary) return electron.reason;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no graphical display (DISPLAY/WAYLAND_DISPLAY unset)';
  }
  if (!existsSync(path.join(electronNativeDir, 'better_sqlite3.node'))) {
    return 'the Electron build of SQLite is missing (run "npm install" once with internet access)';
  }
  return undefined;
}

const run = (cmd, args, env = process.env) => runChild(cmd, args, { cwd: root, env });

if (values.build) {
  // `npm run build`: works with or without the electron package (electron-vite only needs its version).
  buildIfNeeded(true);
  process.exit(0);
}

const reason = whyNotElectron();
const useElectron = reason === undefined;
const serverArgs = [...(values.port ? ['--port', values.port] : []), ...(values['data-dir'] ? ['--data-dir', values['data-dir']] : [])];

if (values.dev) {
  if (useElectron) {
    run(process.execPath, [bin('electron-vite', 'bin/electron-vite.js'), 'dev'], buildEnv);
  } else {
    if (reason) say(`Electron is not available: ${reason}.`);
    say('Dev mode in the browser: the UI rebuilds on save (reload the page), the server runs from source.');
    spawn(process.execPath, [bin('vite', 'bin/vite.js'), 'build', '--watch', '-c', 'src/renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    run(process.execPath, ['--import', 'tsx', 'src/main/server.ts', ...serverArgs]);
  }
} else {
  buildIfNeeded();
  if (useElectron) {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE; // would make Electron behave as plain Node
    run(locateElectron().binary, ['.'], env);
  } else {
    if (reason) {
      say(`Stemsight cannot open its desktop window: ${reason}.`);
      say('Serving the same interface to your browser instead.\n');
    }
    run(process.execPath, [path.join(root, 'out', 'main', 'server.js'), ...serverArgs]);
  }
}
