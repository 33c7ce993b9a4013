/**
 * Delivery: a time selection exported as a region, with the Original, every file named by the
 * template; the files are trimmed to the selection sample-exactly and still add up.
 */
import { expect, test } from '@playwright/test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clickFrame, decodeF32, demoClicks, f32Samples, makeDemoCut, snrDb, wavInfo } from './helpers';
import { env, openClip, shot, videoTime } from './open';

test.describe.configure({ timeout: 420_000 });

test('export a selection as a region, with the Original', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'region-6s.mp4');
  if (!existsSync(clip)) makeDemoCut(clip, 6);
  await openClip(page, clip);
  const [speaker] = demoClicks().suggestedClicks;
  await clickFrame(page, speaker.x, speaker.y);
  const tracks = page.getByRole('region', { name: 'Tracks' });
  await expect(page.getByTestId('track')).toHaveCount(3, { timeout: 240_000 });
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 240_000 });
  await expect(page.locator('[data-testid="track"][data-role="source"] .sub').first()).toHaveText('stem', { timeout: 240_000 });

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
