import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MediaError } from './errors';

/**
 * Where ffmpeg/ffprobe come from, in order: STEMSIGHT_FFMPEG / STEMSIGHT_FFPROBE, the binaries
 * shipped in npm (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe), then the system PATH.
 */

export type Tool = 'ffmpeg' | 'ffprobe';

export interface ToolLocation {
  path: string;
  source: 'env' | 'npm' | 'system';
}

const ENV: Record<Tool, string> = { ffmpeg: 'STEMSIGHT_FFMPEG', ffprobe: 'STEMSIGHT_FFPROBE' };
const PKG: Record<Tool, string> = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' };

const cache = new Map<Tool, ToolLocation>();

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromNpm(tool: Tool): string | null {
  let p: string;
  try {
    const require = createRequire(import.meta.url);
    p = (require(PKG[tool]) as { path: string }).path;
  } catch {
    return null;
  }
  // Inside a packaged Electron app the binary lives next to the asar archive, not in it.
  p = p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  if (isExecutable(p)) return p;
  // npm may skip the package's postinstall (chmod u+x); do what it would have done.
  try {
    chmodSync(p, statSync(p).mode | 0o755);
  } catch {
    return null;
  }
  return isExecutable(p) ? p : null;
}

function fromPath(tool: Tool): string | null {
  const exe = process.platform === 'win32' ? `${tool}.exe` : tool;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    if (isExecutable(p)) return p;
  }
  return null;
}

export function locateTool(tool: Tool): ToolLocation {
  const envPath = process.env[ENV[tool]];
  if (envPath) {
    if (!isExecutable(envPath)) {
      throw new MediaError('FFMPEG_MISSING', `${ENV[tool]} is set to ${envPath}, which is not an executable file; fix or unset it`);
    }
    return { path: envPath, source: 'env' };
  }
  const cached = cache.get(tool);
  if (cached) return cached;
  const npm = fromNpm(tool);
  const found: ToolLocation | null = npm ? { path: npm, source: 'npm' } : (() => {
    const sys = fromPath(tool);
    return sys ? { path: sys, source: 'system' as const } : null;
  })();
  if (!found) {
    throw new MediaError(
      'FFMPEG_MISSING',
      `${tool} not found: run npm install (it ships ${PKG[tool]}), install ${tool} on your PATH, or set ${ENV[tool]}`,
    );
  }
  cache.set(tool, found);
  return found;
}

export const ffmpegPath = (): string => locateTool('ffmpeg').path;
export const ffprobePath = (): string => locateTool('ffprobe').path;

let configuration: string | null = null;
/** Whether the ffmpeg in use was built with `library` (say libsoxr, libx264; the npm one has both). */
export function ffmpegBuiltWith(library: string): boolean {
  if (configuration === null) {
    const r = spawnSync(ffmpegPath(), ['-hide_banner', '-version'], { encoding: 'utf8' });
    configuration = r.status === 0 ? r.stdout : '';
  }
  return configuration.includes(`--enable-${library}`);
}
