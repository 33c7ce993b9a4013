/**
 * Builds the renderer, generates a short test clip with the ffmpeg shipped in npm, and starts the
 * web transport on it (fresh database, media roots limited to the fixture folder). The server's
 * URL and token reach the tests through environment variables.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function ffmpeg(): string {
  if (process.env.STEMSIGHT_FFMPEG) return process.env.STEMSIGHT_FFMPEG;
  return (createRequire(path.join(root, 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export function makeClip(file: string): void {
  // 6 s of colour bars with a counter, and a 440 Hz tone whose loudness swells twice a second-ish
  // so the waveform has visible shape.
  const r = spawnSync(
    ffmpeg(),
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25:duration=6',
      '-f', 'lavfi', '-i', "aevalsrc='0.7*sin(2*PI*440*t)*(0.55+0.45*sin(2*PI*0.7*t))|0.7*sin(2*PI*660*t)*(0.55+0.45*cos(2*PI*0.7*t))':s=44100:d=6",
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k', '-shortest', '-movflags', '+faststart',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${r.stderr || r.error}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!process.env.STEMSIGHT_E2E_SKIP_BUILD) {
    const build = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'src/renderer/vite.config.ts', '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('renderer build failed');
  }

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-e2e-'));
  const media = path.join(tmp, 'media');
  mkdirSync(media);
  const clip = path.join(media, 'test-clip.mp4');
  makeClip(clip);
  writeFileSync(path.join(media, 'notes.txt'), 'not media');

  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src', 'main', 'server.ts'), '--json', '--port', '0', '--data-dir', path.join(tmp, 'data')],
    {
      cwd: root,
      env: { ...process.env, STEMSIGHT_MEDIA_ROOTS: media },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve(line));
    child.once('exit', (code) => reject(new Error(`web server exited early (${code})`)));
    setTimeout(() => reject(new Error('web server did not start within 60 s')), 60_000);
  });
  const info = JSON.parse(first) as { url: string; origin: string; token: string };
  process.env.STEMSIGHT_E2E_URL = info.url;
  process.env.STEMSIGHT_E2E_ORIGIN = info.origin;
  process.env.STEMSIGHT_E2E_TOKEN = info.token;
  process.env.STEMSIGHT_E2E_CLIP = clip;
  process.env.STEMSIGHT_E2E_MEDIA = media;

  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(tmp, { recursive: true, force: true });
  };
}
