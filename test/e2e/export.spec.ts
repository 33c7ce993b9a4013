/**
 * A 6 s cut of the demo, separated once for the speaker and shared by these tests (in this order):
 * delivery of a region with the Original, and every file named by the template.
 */
import { expect, test, type Page } from '@playwright/test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clickFrame, decodeF32, demoClicks, f32Samples, makeDemoCut, snrDb, wavInfo } from './helpers';
import { env, openClip, shot, videoTime } from './open';

test.describe.configure({ timeout: 420_000 });

const [speaker] = demoClicks().suggestedClicks;
const clipPath = () => path.join(env('STEMSIGHT_E2E_MEDIA'), 'region-6s.mp4');

/** Opens the shared clip. */
async function openShared(page: Page): Promise<string> {
  const clip = clipPath();
  if (!existsSync(clip)) makeDemoCut(clip, 6);
  await openClip(page, clip);
  await expect(page.getByTestId('video-overlay')).toBeVisible();
  return clip;
}

/** Opens the shared clip, separated for the speaker (separating it here when run alone). */
async function openSeparated(page: Page): Promise<string> {
  const clip = await openShared(page);
  if ((await page.getByTestId('marker').count()) === 0) await clickFrame(page, speaker.x, speaker.y);
  await expect(page.getByTestId('marker')).toHaveCount(1);
  await expect(page.getByRole('region', { name: 'Tracks' })).toHaveAttribute('data-stems-stale', 'false', { timeout: 240_000 });
  await expect(page.locator('[data-testid="track"][data-role="source"] .sub')).toHaveText('stem', { timeout: 240_000 });
  return clip;
}

test('export a selection as a region, with the Original', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = await openSeparated(page);

  // Without a selection the dialog offers no region.
  const key = (k: string) => page.locator('body').press(k);
  await key('Control+e');
  const exp = page.getByRole('dialog', { name: 'Export' });
  await expect(exp).toBeVisible();
  await expect(exp.getByTestId('export-selection')).toHaveCount(0);
  await key('Escape');
  await expect(exp).toBeHidden();

  // Select 1 s .. 3 s with I and O.
  await key('Home');
  await key('Shift+ArrowRight');
  await expect.poll(() => videoTime(page)).toBeCloseTo(1, 1);
  await key('i');
  await key('Shift+ArrowRight');
  await key('Shift+ArrowRight');
  await expect.poll(() => videoTime(page)).toBeCloseTo(3, 1);
  await key('o');
  await expect(page.getByTestId('ruler-selection')).toBeVisible();

  await key('Control+e');
  await expect(exp).toBeVisible();
  await exp.getByLabel('Export stems').check();
  await exp.getByLabel('Export Original').check();
  await exp.getByLabel('Export REAPER project').check();
  await exp.getByLabel('Export mix').uncheck();
  await exp.getByLabel('Export video copy').uncheck();
  await exp.getByLabel('Sample format').selectOption('f32');
  await exp.getByLabel('Sample rate').selectOption('');
  const only = exp.getByTestId('export-selection');
  await expect(only).not.toBeChecked();
  await expect(exp.getByText(/Selection only \(0:01\.00–0:03\.00\)/)).toBeVisible();
  await only.check();
  await exp.getByTestId('export-folder').fill(mediaDir);
  await exp.getByTestId('export-start').click();
  // The range is in the folder's default name (and below, in its manifest).
  const folder = path.join(mediaDir, 'region-6s 1.00-3.00s export');
  await expect(exp.getByTestId('export-done')).toContainText(folder, { timeout: 120_000 });
  await shot(page, 'export-dialog.png');
  expect(readdirSync(folder).sort()).toEqual([
    '.stemsight-export.json', '00_region-6s_original.wav', '01_region-6s_Source 1.wav', '02_region-6s_residual.wav', '03_region-6s_project.rpp',
  ]);
  const manifest = JSON.parse(readFileSync(path.join(folder, '.stemsight-export.json'), 'utf8')) as { sampleRate: number; frames: number; range: { startFrame: number; endFrame: number } };
  const { sampleRate: rate, range } = manifest;
  expect(Math.abs(range.startFrame - rate)).toBeLessThanOrEqual(rate / 100);
  expect(Math.abs(range.endFrame - 3 * rate)).toBeLessThanOrEqual(rate / 100);
  expect(manifest.frames).toBe(range.endFrame - range.startFrame);

  // Every file holds exactly that range: the Original is the media's sound from startFrame on,
  // and the stems add up to it.
  const [original, source, residual] = ['00_region-6s_original.wav', '01_region-6s_Source 1.wav', '02_region-6s_residual.wav'].map((f) => path.join(folder, f));
  const info = wavInfo(original);
  expect(info).toMatchObject({ rate, bits: 32, frames: manifest.frames });
  for (const f of [source, residual]) expect(wavInfo(f).frames).toBe(manifest.frames);
  const whole = decodeF32(clip, rate, info.channels, test.info().outputPath('whole.wav'));
  const expected = whole.subarray(range.startFrame * info.channels, range.endFrame * info.channels);
  expect(snrDb(expected, [f32Samples(original)])).toBeGreaterThan(100);
  // One sample late would be far off: the check can tell.
  expect(snrDb(whole.subarray((range.startFrame + 1) * info.channels), [f32Samples(original)])).toBeLessThan(40);
  expect(snrDb(f32Samples(original), [f32Samples(source), f32Samples(residual)])).toBeGreaterThan(60);

  const rpp = readFileSync(path.join(folder, '03_region-6s_project.rpp'), 'utf8');
  expect(rpp).toContain(`FILE "${clip}"`);
  expect(rpp).toMatch(new RegExp(`SOFFS ${range.startFrame / rate}\\n`));
});

test('every exported file follows the naming template', async ({ page }) => {
  const clip = await openSeparated(page);
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  await page.locator('body').press('Control+e');
  const exp = page.getByRole('dialog', { name: 'Export' });
  for (const what of ['Stems', 'Original', 'Mix', 'Video copy', 'REAPER project']) await exp.getByLabel(`Export ${what}`).check();
  await exp.getByLabel('Sample format').selectOption('f32');
  await exp.getByLabel('Sample rate').selectOption('');
  const template = exp.getByLabel('Naming template');
  await template.fill('{stem} - {project} #{index}');
  await template.press('Tab');
  await exp.getByTestId('export-folder').fill(mediaDir);
  await exp.getByTestId('export-start').click();
  const folder = path.join(mediaDir, 'region-6s export');
  await expect(exp.getByTestId('export-done')).toContainText(folder, { timeout: 120_000 });

  // The Original first (index 0), the stems, then the mix, the video and the REAPER project.
  const name = (stem: string, index: number, ext: string) => `${stem} - region-6s #${String(index).padStart(2, '0')}${ext}`;
  const expected = [name('original', 0, '.wav'), name('Source 1', 1, '.wav'), name('residual', 2, '.wav'), name('mix', 3, '.wav'), name('video', 4, '.mp4'), name('project', 5, '.rpp')];
  expect(readdirSync(folder).filter((f) => !f.startsWith('.')).sort()).toEqual([...expected].sort());
  const frames = expected.filter((f) => f.endsWith('.wav')).map((f) => wavInfo(path.join(folder, f)).frames);
  expect(new Set(frames).size).toBe(1);

  // The project refers to those files, the picture to the video copy (not the media).
  const rpp = readFileSync(path.join(folder, name('project', 5, '.rpp')), 'utf8');
  for (const f of [name('original', 0, '.wav'), name('Source 1', 1, '.wav'), name('residual', 2, '.wav')]) expect(rpp).toContain(`FILE "${f}"`);
  expect(rpp).toContain(`<SOURCE VIDEO\n        FILE "${name('video', 4, '.mp4')}"`);
  expect(rpp).not.toContain(clip);
});
