// Where Electron is (or why it is not), shared by start.mjs and postinstall.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

/** @returns {{ version: string | null, binary: string | null, reason: string | null }} */
export function locateElectron() {
  let pkgFile;
  try {
    pkgFile = require.resolve('electron/package.json');
  } catch {
    return {
      version: null,
      binary: null,
      reason: 'the electron package is not installed (its download failed during npm install, e.g. without internet)',
    };
  }
  const dir = path.dirname(pkgFile);
  const version = JSON.parse(readFileSync(pkgFile, 'utf8')).version;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const bin = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    if (existsSync(bin)) return { version, binary: bin, reason: null };
  }
  const pathTxt = path.join(dir, 'path.txt');
  if (!existsSync(pathTxt)) {
    return {
      version,
      binary: null,
      reason: `the Electron ${version} binary was not downloaded (no internet during npm install, or ELECTRON_SKIP_BINARY_DOWNLOAD was set)`,
    };
  }
  const bin = path.join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  if (!existsSync(bin)) return { version, binary: null, reason: `the Electron binary is missing at ${bin}` };
  return { version, binary: bin, reason: null };
}

/** Electron's major version for electron-vite even when the package is absent (from package.json's range). */
export function electronMajor() {
  const { version } = locateElectron();
  if (version) return version.split('.')[0];
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? pkg.dependencies?.electron ?? '';
  return /(\d+)/.exec(range)?.[1] ?? '38';
}

/** Where the Electron-ABI build of better-sqlite3 goes (read by src/main/app/main.ts). */
export const electronNativeDir = path.join(root, 'build', 'electron-native');
