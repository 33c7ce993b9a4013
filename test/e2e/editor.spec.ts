/**
 * The whole editor flow in the browser UI (web transport) on an 8-second cut of the bundled demo
 * clip, with the real models on CPU: open, heatmap, two clicks, separation, tracks, mixer, export
 * (stems + REAPER project), reopen. Screenshots of each step are kept under test-results/.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (global-setup did not run)`);
  return v;
};

const CLIP_SEC = 8;
const demo = JSON.parse(readFileSync(path.join(root, 'resources', 'demo', 'demo.json'), 'utf8')) as { suggestedClicks: { class: string; x: number; y: number }[] };

function makeDemoCut(file: string): void {
  const ffmpeg = process.env.STEMSIGHT_FFMPEG ?? (createRequire(path.join(root, 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(root, 'resources', 'demo', 'demo.mp4'), '-t', String(CLIP_SEC), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not cut the demo clip: ${r.stderr}`);
}

/** Sample rate, channels and frames from a WAV header (PCM or float). */
function wavInfo(file: string): { rate: number; channels: number; bits: number; frames: number } {
  const b = readFileSync(file);
  let o = 12;
  let rate = 0, channels = 0, bits = 0;
  while (o + 8 <= b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(o + 10);
      rate = b.readUInt32LE(o + 12);
      bits = b.readUInt16LE(o + 22);
    } else if (id === 'data') return { rate, channels, bits, frames: size / (channels * (bits / 8)) };
    o += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no data chunk`);
}

/** Interleaved samples of a 32-bit float WAV. */
function f32Samples(file: string): Float32Array {
  const b = readFileSync(file);
  let o = 12;
  while (o + 8 <= b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'data') return new Float32Array(b.buffer.slice(b.byteOffset + o + 8, b.byteOffset + o + 8 + size));
    o += 8 + size + (size & 1);
  }
  throw new Error(`${file} has no data chunk`);
}

/** How closely the stems add up to the media's own audio (decoded by ffmpeg), as an SNR in dB. */
function sumSnrDb(media: string, stems: string[]): number {
  const first = wavInfo(stems[0]);
  const ref = test.info().outputPath('reference.f32.wav');
  const ffmpeg = process.env.STEMSIGHT_FFMPEG ?? (createRequire(path.join(root, 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', media, '-vn', '-ac', String(first.channels), '-ar', String(first.rate), '-c:a', 'pcm_f32le', ref], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not decode ${media}: ${r.stderr}`);
  const original = f32Samples(ref);
  const parts = stems.map(f32Samples);
  let signal = 0, error = 0;
  for (let i = 0; i < parts[0].length; i++) {
    let sum = 0;
    for (const p of parts) sum += p[i];
    const o = original[i] ?? 0;
    signal += o * o;
    error += (sum - o) * (sum - o);
  }
  return 10 * Math.log10(signal / Math.max(error, 1e-30));
}

async function shot(page: Page, name: string): Promise<void> {
  const file = test.info().outputPath(name);
  await page.screenshot({ path: file });
  await test.info().attach(name, { path: file, contentType: 'image/png' });
}

async function clickFrame(page: Page, x: number, y: number): Promise<void> {
  const box = (await page.getByTestId('video-overlay').boundingBox())!;
  await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
}

test.describe.configure({ timeout: 300_000 });

test('editor: heatmap, two sources, stems, mixer, export, reopen', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'demo-8s.mp4');
  if (!existsSync(clip)) makeDemoCut(clip);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(env('STEMSIGHT_E2E_URL'));
  await expect(page.getByTestId('open-demo')).toBeVisible();
  await shot(page, '01-start.png');

  // Open the clip through the browser UI's file picker.
  await page.getByTestId('open-media').click();
  const dialog = page.getByRole('dialog', { name: 'Open media' });
  await dialog.getByTestId('path-input').fill(clip);
  await dialog.getByTestId('path-open').click();
  await expect(dialog).toBeHidden();
  const video = page.getByTestId('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);

  // The analysis runs by itself; its heatmap is drawn over the picture.
  await expect(page.getByTestId('heatmap')).toHaveAttribute('data-shown', 'true', { timeout: 120_000 });
  // The clip opens on a near-silent first frame (its heatmap is rightly faint): look 1 s in, where
  // the speaker and the saxophone sound, then go back to the start.
  const wave = (await page.locator('[data-testid="waveform"] .canvas').first().boundingBox())!;
  await page.mouse.click(wave.x + wave.width * (1.1 / CLIP_SEC), wave.y + wave.height / 2);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0.9);
  const painted = () => page.getByTestId('heatmap').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 40) n++;
    return n;
  });
  await expect.poll(painted).toBeGreaterThan(0);
  await shot(page, '02-heatmap.png');
  await page.mouse.click(wave.x + 1, wave.y + wave.height / 2);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeLessThan(0.1);

  // Zoomed in, the visible part is separated first (a preview), then the whole file.
  await page.getByLabel('Zoom the tracks').fill('200');
  // Two clicks (the speaker and the saxophone), quickly: one debounced separation.
  const [speaker, sax] = demo.suggestedClicks;
  await clickFrame(page, speaker.x, speaker.y);
  await clickFrame(page, sax.x, sax.y);
  await expect(page.getByTestId('marker')).toHaveCount(2);
  await expect(page.locator('[data-testid="job"][data-kind="separation"]')).toHaveCount(2, { timeout: 30_000 });
  // The last click is selected: name it, then select the first marker and name that.
  await page.getByTestId('source-name').fill('Saxophone');
  await page.getByTestId('source-name').press('Enter');
  await page.getByTestId('marker').first().click();
  await page.getByTestId('source-name').fill('Speaker');
  await page.getByTestId('source-name').press('Enter');
  await expect(page.getByRole('button', { name: /Source 1: Speaker/ })).toBeVisible();
  await expect(page.getByTestId('job').filter({ hasText: 'Separation' }).first()).toBeVisible({ timeout: 30_000 });
  await shot(page, '03-separating.png');

  // Three stem tracks (2 sources + residual) plus the original, with full-file stems.
  const tracks = page.getByTestId('track');
  await expect(tracks).toHaveCount(4, { timeout: 180_000 });
  await expect(page.locator('[data-testid="track"][data-role="source"] .sub').first()).toHaveText('stem', { timeout: 180_000 });
  await expect(page.locator('[data-testid="track-wave"][data-ready="true"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.locator('[data-testid="waveform"][data-ready="true"]')).toHaveCount(1);
  await page.getByLabel('Zoom the tracks').fill('0');
  expect(await page.locator('[data-testid="track"][data-role="source"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['Speaker', 'Saxophone']);
  // Activity over time is drawn on each source's track.
  const activity = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="track"][data-role="source"] [data-testid="track-wave"] .canvas > div')).map(
      (host) => Number(host.shadowRoot?.querySelector('[data-activity]')?.getAttribute('data-activity') ?? 0),
    ),
  );
  expect(activity).toEqual([CLIP_SEC * 8, CLIP_SEC * 8]);
  await shot(page, '04-tracks.png');

  // Mixer: mute the residual; play a moment (the audio clock drives the muted video).
  const residual = page.locator('[data-testid="track"][data-role="residual"]');
  await residual.getByTestId('mute').click();
  await expect(residual.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('play').click();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(1);
  // The picture follows the audio clock (within a couple of frames once settled).
  await page.waitForTimeout(1500);
  const drift = Number(await video.getAttribute('data-drift'));
  expect(Math.abs(drift)).toBeLessThan(0.1);
  await page.getByTestId('play').click();
  await shot(page, '05-mixer.png');

  // Dialogue action: keep the selected speaker, duck the rest by 18 dB; one undo restores it.
  const saxDb = page.locator('[data-testid="track"][data-name="Saxophone"] .db');
  await page.getByRole('button', { name: /Keep Speaker, duck the rest by 18 dB/ }).click();
  await expect(saxDb).toHaveText('-18.0');
  await expect(residual.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Control+z');
  await expect(saxDb).toHaveText('0.0');

  // A/B: B plays the original alone (the stems are shown dimmed), A the remix.
  await page.getByTestId('monitor-original').click();
  await expect(page.getByTestId('monitor-original')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('[data-testid="track"][data-role="source"] .wave.dim')).toHaveCount(2);
  await page.getByTestId('monitor-mix').click();
  await expect(page.locator('[data-testid="track"][data-role="source"] .wave.dim')).toHaveCount(0);

  // Export stems + REAPER project (Ctrl+E), 24-bit at 48 kHz, into the media folder.
  await page.keyboard.press('Control+e');
  const exp = page.getByRole('dialog', { name: 'Export' });
  await expect(exp).toBeVisible();
  await exp.getByLabel('Export mix').uncheck();
  await exp.getByLabel('Export video copy').uncheck();
  await exp.getByLabel('Export stems').check();
  await exp.getByLabel('Export REAPER project').check();
  await exp.getByLabel('Sample format').selectOption('wav24');
  await exp.getByLabel('Sample rate').selectOption('48000');
  await exp.getByTestId('export-folder').fill('/');
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-problem')).toContainText('outside the folders');
  await exp.getByTestId('export-folder').fill(mediaDir);
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 60_000 });
  await shot(page, '06-export.png');

  const outDir = path.join(mediaDir, 'demo-8s export');
  const files = readdirSync(outDir).sort();
  const wavs = files.filter((f) => f.endsWith('.wav'));
  expect(wavs).toEqual(['01_demo-8s_Speaker.wav', '02_demo-8s_Saxophone.wav', '03_demo-8s_residual.wav']);
  expect(files.filter((f) => f.endsWith('.rpp'))).toEqual(['demo-8s.rpp']);
  const infos = wavs.map((w) => wavInfo(path.join(outDir, w)));
  for (const i of infos) {
    expect(i.rate).toBe(48000);
    expect(i.bits).toBe(24);
    expect(i.frames).toBe(infos[0].frames);
  }
  expect(Math.abs(infos[0].frames / 48000 - CLIP_SEC)).toBeLessThan(0.1);
  const rpp = readFileSync(path.join(outDir, 'demo-8s.rpp'), 'utf8');
  expect(rpp.match(/<TRACK/g)?.length).toBe(3);
  expect(rpp).toContain('FILE "03_demo-8s_residual.wav"');
  expect(rpp).toMatch(/NAME "residual"\n(?:.*\n)*?\s+MUTESOLO 1 0 0/);

  // Exporting again never overwrites silently: the existing folder is reported.
  await exp.getByTestId('export-start').click();
  await expect(exp.getByRole('alert')).toContainText('already exists');
  await shot(page, '06b-no-overwrite.png');
  await exp.getByRole('button', { name: 'Close export' }).click();

  // Reopen the project from the start screen: everything as it was.
  await page.getByRole('button', { name: 'Back to projects' }).click();
  await page.getByRole('button', { name: /Open demo-8s/ }).click();
  await expect(page.getByTestId('marker')).toHaveCount(2);
  await expect(page.getByRole('button', { name: /Source 1: Speaker/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /Source 2: Saxophone/ })).toBeVisible();
  await expect(page.getByTestId('track')).toHaveCount(4);
  await expect(page.locator('[data-testid="track"][data-role="residual"]').getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('[data-testid="track-wave"][data-ready="true"]')).toHaveCount(3, { timeout: 60_000 });
  await expect(page.getByTestId('heatmap')).toHaveAttribute('data-shown', 'true', { timeout: 30_000 });
  await shot(page, '07-reopened.png');
  await page.keyboard.press('Control+e');
  await expect(page.getByRole('dialog', { name: 'Export' }).getByLabel('Sample format')).toHaveValue('wav24');
  await page.getByRole('button', { name: 'Close export' }).click();

  // Removing a source (Delete on the selected marker) puts its sound back into the residual: the
  // remaining source is separated again, and export waits for that, so that the exported stems
  // still sum to the original.
  await page.getByRole('button', { name: /Source 2: Saxophone/ }).click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('marker')).toHaveCount(1);
  await expect(page.getByLabel('Tracks')).toHaveAttribute('data-stems-stale', 'true');
  await page.keyboard.press('Control+e');
  await exp.getByLabel('Sample format').selectOption('f32');
  await exp.getByLabel('Sample rate').selectOption('');
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-problem')).toContainText('separating them again');
  await expect(page.getByLabel('Tracks')).toHaveAttribute('data-stems-stale', 'false', { timeout: 180_000 });
  await exp.getByTestId('export-start').click();
  await exp.getByTestId('export-new').click();
  await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 60_000 });
  const after = readdirSync(mediaDir).filter((f) => f.startsWith('demo-8s export') && f !== 'demo-8s export');
  expect(after).toHaveLength(1);
  const stemFiles = readdirSync(path.join(mediaDir, after[0])).filter((f) => f.endsWith('.wav')).sort();
  expect(stemFiles).toEqual(['01_demo-8s_Speaker.wav', '02_demo-8s_residual.wav']);
  expect(sumSnrDb(clip, stemFiles.map((f) => path.join(mediaDir, after[0], f)))).toBeGreaterThan(60);
  await exp.getByRole('button', { name: 'Close export' }).click();
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('marker')).toHaveCount(2);
  await expect(page.getByTestId('track')).toHaveCount(4);

  // Undo brings the residual back; redo mutes it again.
  await page.keyboard.press('Control+z');
  await expect(page.locator('[data-testid="track"][data-role="residual"]').getByTestId('mute')).toHaveAttribute('aria-pressed', 'false');
  await page.keyboard.press('Control+Shift+z');
  await expect(page.locator('[data-testid="track"][data-role="residual"]').getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  expect(errors).toEqual([]);
});

test('the bundled demo opens from the start screen', async ({ page }) => {
  await page.goto(env('STEMSIGHT_E2E_URL'));
  await page.getByTestId('open-demo').click();
  await expect(page.locator('header .title')).toHaveText('demo');
  const video = page.getByTestId('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(19);
  await expect(page.getByTestId('heatmap')).toHaveAttribute('data-shown', 'true', { timeout: 120_000 });
  await expect(page.getByTestId('track')).toHaveCount(1); // the original, until something is clicked
});
