#!/usr/bin/env node
// Runs after `npm install`. Never fails the install: each step either succeeds, or says in one
// line what was skipped and what still works.
//
// 1. better-sqlite3 from npm is built for Node's ABI (tests, CLI, browser UI). Electron needs its
//    own ABI, so when the Electron binary is present we build a second copy into
//    build/electron-native/ (prebuilt download first, compiling against Electron's headers second).
// 2. onnxruntime-node's own install script would fetch the CUDA provider from nuget and fails the
//    install without internet; package.json's allowScripts denies it (npm >= 11.16), and here we
//    fetch it only on machines with an NVIDIA GPU, tolerating failure (the CPU provider is always
//    bundled).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { electronNativeDir, locateElectron, root } from './electron-env.mjs';

const require = createRequire(path.join(root, 'package.json'));
const say = (line) => console.log(`[stemsight] ${line}`);

function electronSqlite() {
  const electron = locateElectron();
  if (!electron.binary) {
    say(`Skipping the Electron build of SQLite: ${electron.reason}. The app will run in the browser UI (npm start).`);
    return;
  }
  let sqliteDir;
  try {
    sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  } catch {
    say('better-sqlite3 is not installed; nothing to rebuild for Electron.');
    return;
  }
  const sqliteVersion = JSON.parse(readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')).version;
  const stamp = `better-sqlite3@${sqliteVersion} electron@${electron.version} ${process.platform}-${process.arch}`;
  const stampFile = path.join(electronNativeDir, 'STAMP');
  const target = path.join(electronNativeDir, 'better_sqlite3.node');
  if (existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    say(`Electron build of SQLite is up to date (${stamp}).`);
    return;
  }
  // Work on a copy so the Node build in node_modules stays as it is.
  const work = mkdtempSync(path.join(os.tmpdir(), 'stemsight-sqlite-'));
  try {
    cpSync(sqliteDir, work, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) && !src.endsWith(`${path.sep}build`) });
    const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electron.version, npm_config_disturl: 'https://electronjs.org/headers' };
    const attempts = [];
    const prebuild = path.join(path.dirname(require.resolve('prebuild-install/package.json')), 'bin.js');
    attempts.push(['prebuilt binary', process.execPath, [prebuild, '--runtime', 'electron', '--target', electron.version, '--arch', process.arch, '--platform', process.platform]]);
    const nodeGyp = process.env.npm_config_node_gyp;
    if (nodeGyp && existsSync(nodeGyp)) {
      attempts.push(['compile', process.execPath, [nodeGyp, 'rebuild', '--release', `--target=${electron.version}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron']]);
    }
    for (const [label, cmd, args] of attempts) {
      const r = spawnSync(cmd, args, { cwd: work, env, stdio: 'pipe', encoding: 'utf8', timeout: 600_000 });
      const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
      if (r.status === 0 && existsSync(built)) {
        mkdirSync(electronNativeDir, { recursive: true });
        copyFileSync(built, target);
        writeFileSync(stampFile, stamp);
        say(`Built SQLite for Electron ${electron.version} (${label}) in build/electron-native/.`);
        return;
      }
      const why = (r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').pop();
      say(`Electron SQLite ${label} failed: ${why}`);
    }
    say('Could not build SQLite for Electron (needs internet once). The browser UI still works: npm start falls back to it.');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function onnxCuda() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return;
  let ortDir;
  try {
    ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  } catch {
    return;
  }
  const provider = path.join(ortDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');
  if (existsSync(provider)) return;
  if (process.env.ONNXRUNTIME_NODE_INSTALL === 'skip') return; // the user asked for no download
  const gpu = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
  if (gpu.status !== 0) {
    say('No NVIDIA GPU found: models run on the CPU (the CUDA provider was not fetched).');
    return;
  }
  const r = spawnSync(process.execPath, [path.join(ortDir, 'script', 'install.js')], {
    cwd: ortDir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
    stdio: 'pipe',
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status === 0 && existsSync(provider)) say('Fetched the onnxruntime CUDA provider: models can use the GPU.');
  else say('Could not fetch the onnxruntime CUDA provider (no internet?); models run on the CPU.');
}

for (const step of [electronSqlite, onnxCuda]) {
  try {
    step();
  } catch (err) {
    say(`${step.name} skipped: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}
