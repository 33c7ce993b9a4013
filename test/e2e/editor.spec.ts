/**
 * The whole editor flow in the browser UI (web transport) on an 8-second cut of the bundled demo
 * clip, with the real models on CPU: open, heatmap, two clicks, separation, tracks, mixer, export
 * (stems + REAPER project), reopen. Screenshots of each step are kept under test-results/.
 */
import { expect, test, type Page } from '@playwright/test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clickFrame, demoClicks, makeDemoCut, wavInfo } from './helpers';
import { audioClockRate, env, shot as docShot } from './open';

const CLIP_SEC = 8;
const demo = demoClicks();

/** The user guide's editor-NN screenshots (written to docs/img/ with STEMSIGHT_DOC_SHOTS=1). */
const shot = (page: Page, name: string) => docShot(page, `editor-${name}`);

test.describe.configure({ timeout: 300_000 });

test('editor: heatmap, two sources, stems, mixer, export, reopen', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'demo-8s.mp4');
  if (!existsSync(clip)) makeDemoCut(clip, CLIP_SEC);
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
  // One job to the user: the preview and the whole file together.
  await expect(page.locator('[data-testid="job"][data-kind="separation"][data-parts="2"]')).toHaveCount(1, { timeout: 30_000 });
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
  // Meters (post-fader): the master and a source move and hold their peaks, the muted residual's
  // stays empty, and the momentary loudness of the mix reads in LUFS.
  const meter = (track: string) => page.locator(`[data-testid="track"][data-name="${track}"] [data-testid="level-meter"]`);
  const master = page.getByTestId('master-meters').getByTestId('level-meter');
  await expect.poll(() => master.getAttribute('data-hold')).not.toBe('-inf');
  await expect.poll(async () => Math.max(...(await Promise.all(['Speaker', 'Saxophone'].map(async (n) => Number((await meter(n).getAttribute('data-hold'))?.replace('-inf', '-999')))))), { timeout: 10_000 }).toBeGreaterThan(-60);
  await expect(residual.getByTestId('level-meter')).toHaveAttribute('data-level', '-inf');
  await expect(page.getByTestId('momentary-lufs')).toContainText('LUFS');
  // The picture follows the sound as it is heard: once settled, within a frame (25 fps). The
  // player publishes the offset smoothed over the recent frames; a picture that lags stays out.
  // Measurable only where the page's audio clock keeps real time (see transport.spec.ts).
  const clockRate = await audioClockRate(page);
  if (Math.abs(clockRate - 1) < 0.1) await expect.poll(async () => Math.abs(Number((await video.getAttribute('data-drift')) ?? NaN)), { timeout: 5_000 }).toBeLessThan(0.04);
  else test.info().annotations.push({ type: 'lip sync not measured', description: `the page's audio clock ran at ${clockRate.toFixed(2)}x real time` });
  await page.getByTestId('play').click();
  await shot(page, '05-mixer.png');

  // The loudness of the whole remix (BS.1770 integrated), marked stale once the mix changes.
  await page.getByTestId('measure-loudness').click();
  await expect(page.getByTestId('integrated-lufs')).toContainText('LUFS', { timeout: 60_000 });
  const integrated = Number((await page.getByTestId('integrated-lufs').textContent())!.replace(' LUFS', ''));
  expect(integrated).toBeGreaterThan(-45);
  expect(integrated).toBeLessThan(-5);
  await expect(page.getByTestId('mix-loudness')).toHaveAttribute('data-stale', 'false');
  await shot(page, '05b-meters.png');

  // A spectrogram behind a track's waveform, on request.
  const speakerRow = page.locator('[data-testid="track"][data-name="Speaker"]');
  await speakerRow.getByTestId('spectrogram-toggle').click();
  await expect(speakerRow.getByTestId('track-wave')).toHaveAttribute('data-spectrogram', 'ready', { timeout: 30_000 });
  const lit = await speakerRow.locator('.canvas > div').evaluate((host) => {
    const c = host.shadowRoot!.querySelector('canvas[data-testid="spectrogram"]') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 200) n++;
    return { n, width: c.width, height: c.height };
  });
  expect(lit.height).toBe(128);
  expect(lit.n).toBeGreaterThan(100);
  await shot(page, '05c-spectrogram.png');
  await speakerRow.getByTestId('spectrogram-toggle').click();
  await expect(speakerRow.getByTestId('track-wave')).toHaveAttribute('data-spectrogram', 'off');

  // Dialogue action: keep the selected speaker, duck the rest by 18 dB; one undo restores it.
  const saxDb = page.locator('[data-testid="track"][data-name="Saxophone"] .db');
  await page.getByRole('button', { name: /Keep Speaker, duck the rest by 18 dB/ }).click();
  await expect(saxDb).toHaveText('-18.0');
  await expect(page.getByTestId('mix-loudness')).toHaveAttribute('data-stale', 'true');
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
  // Every file named by the template, the REAPER project numbered on after the stems.
  expect(files).toEqual(['.stemsight-export.json', '01_demo-8s_Speaker.wav', '02_demo-8s_Saxophone.wav', '03_demo-8s_residual.wav', '04_demo-8s_project.rpp']);
  const wavs = files.filter((f) => f.endsWith('.wav'));
  const infos = wavs.map((w) => wavInfo(path.join(outDir, w)));
  for (const i of infos) {
    expect(i.rate).toBe(48000);
    expect(i.bits).toBe(24);
    expect(i.frames).toBe(infos[0].frames);
  }
  expect(Math.abs(infos[0].frames / 48000 - CLIP_SEC)).toBeLessThan(0.1);
  const rpp = readFileSync(path.join(outDir, '04_demo-8s_project.rpp'), 'utf8');
  // The picture on its own top track (the media itself: the video copy was not exported), then the stems.
  expect(rpp.match(/<TRACK/g)?.length).toBe(4);
  expect(rpp).toContain(`<SOURCE VIDEO\n        FILE "${clip}"`);
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

  // Removing a source (Delete on the selected marker) is undoable too.
  await page.getByRole('button', { name: /Source 2: Saxophone/ }).click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('marker')).toHaveCount(1);
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
