/**
 * Removing a source puts its sound back into the residual without separating again: the other
 * stems stay as they were, the removed stem joins the residual (a stem edit), and the exported
 * stems + residual add up to the original.
 */
import { expect, test } from '@playwright/test';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { clickFrame, demoClicks, jobKindsSeen, makeDemoCut, sumSnrDb, watchJobs } from './helpers';
import { env, exportFloatStems, openClip } from './open';

test.describe.configure({ timeout: 420_000 });

test('delete a source, then export: stems + residual still sum to the original', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'remove-6s.mp4');
  if (!existsSync(clip)) makeDemoCut(clip, 6);
  await openClip(page, clip);
  await expect(page.getByTestId('video-overlay')).toBeVisible();

  const [speaker, sax] = demoClicks().suggestedClicks;
  await clickFrame(page, speaker.x, speaker.y);
  await clickFrame(page, sax.x, sax.y);
  await expect(page.getByTestId('marker')).toHaveCount(2);
  const tracks = page.getByRole('region', { name: 'Tracks' });
  await expect(page.getByTestId('track')).toHaveCount(4, { timeout: 240_000 });
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 240_000 });

  // The whole file is separated (not just a preview): the removal is made from its stems.
  await expect(page.locator('[data-testid="job"][data-kind="separation"]:is([data-state="running"], [data-state="queued"])')).toHaveCount(0, { timeout: 240_000 });
  const startsAfterDelete: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('separation.start')) startsAfterDelete.push(r.url());
  });
  await watchJobs(page);

  await page.getByRole('button', { name: /Source 2: Source 2/ }).click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('marker')).toHaveCount(1);
  // Until the removed stem is in the residual the stems are marked stale (the residual plays it meanwhile).
  await expect(tracks).toHaveAttribute('data-stems-stale', 'true');
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 120_000 });
  // One stem edit did it; no separation started after the delete (the editor asked, main had none to run).
  expect(startsAfterDelete.length).toBeGreaterThan(0);
  expect(await jobKindsSeen(page)).toEqual(['stem-edit']);

  const exp = await exportFloatStems(page, mediaDir);
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 120_000 });
  const folder = path.join(mediaDir, 'remove-6s export');
  const wavs = readdirSync(folder).filter((f) => f.endsWith('.wav')).sort();
  expect(wavs).toEqual(['01_remove-6s_Source 1.wav', '02_remove-6s_residual.wav']);
  const snr = sumSnrDb(clip, wavs.map((f) => path.join(folder, f)), test.info().outputPath('original.wav'));
  // Before, the removed source was in no file: about 9 dB.
  expect(snr).toBeGreaterThan(60);
});
