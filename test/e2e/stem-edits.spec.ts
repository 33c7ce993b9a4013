/**
 * Fixing a stem in the browser UI: a removed source's sound stays in the residual (shown as
 * updating until its stem is added to the residual, with no separation); a source's strength; a
 * time selection of a stem moved to the residual. The export then still sums to the original.
 */
import { expect, test } from '@playwright/test';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { clickFrame, demoClicks, f32Samples, jobKindsSeen, makeDemoCut, sumSnrDb, watchJobs, wavInfo } from './helpers';
import { env, exportFloatStems, openClip, seekByWave, shot } from './open';

test.describe.configure({ timeout: 480_000 });

const CLIP_SEC = 6;

test('remove, strength and move a selection: the residual never lacks a sound and the export sums to the original', async ({ page }) => {
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'edits-6s.mp4');
  if (!existsSync(clip)) makeDemoCut(clip, CLIP_SEC);
  await openClip(page, clip);
  await expect(page.getByTestId('video-overlay')).toBeVisible();
  const [speaker, sax] = demoClicks().suggestedClicks;
  await clickFrame(page, speaker.x, speaker.y);
  await clickFrame(page, sax.x, sax.y);
  const tracks = page.getByRole('region', { name: 'Tracks' });
  await expect(page.getByTestId('track')).toHaveCount(4, { timeout: 240_000 });
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 240_000 });
  const residual = page.locator('[data-testid="track"][data-role="residual"]');
  await expect(residual).toHaveAttribute('data-updating', 'false');

  // Zoomed in near the end, delete Source 2: the residual says it is updating at once (it plays
  // the removed stem meanwhile); the editor asks for what is due with the range on screen first,
  // and main adds the removed stem to the residual (a stem edit, no separation).
  await watchJobs(page);
  await seekByWave(page, 4.5, CLIP_SEC);
  await page.getByLabel('Zoom the tracks').fill('300');
  await page.getByRole('button', { name: /Source 2: Source 2/ }).click();
  const request = page.waitForRequest((r) => r.url().includes('separation.start'));
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('marker')).toHaveCount(1);
  await expect(residual).toHaveAttribute('data-updating', 'true');
  await expect(residual).toContainText('updating');
  const asked = JSON.parse((await request).postData() ?? '{}') as { previewStartSec?: number; previewSpanSec?: number };
  expect(asked.previewStartSec).toBeGreaterThan(1.5);
  expect(asked.previewSpanSec).toBeLessThan(CLIP_SEC - 1);
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 240_000 });
  await expect(residual).toHaveAttribute('data-updating', 'false');
  await page.getByLabel('Zoom the tracks').fill('0');

  // Strength: only Source 1's stem and the residual are redone (a stem edit, no separation).
  await page.getByRole('button', { name: /Source 1: Source 1/ }).click();
  const strength = page.getByTestId('source-strength');
  await expect(strength).toHaveValue('0.5');
  const edit = page.waitForRequest((r) => r.url().includes('separation.start'));
  await strength.fill('0.9');
  await expect(page.getByTestId('source-strength-value')).toHaveText('90%');
  await edit;
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 120_000 });
  // Since the first separation: two stem-edit jobs (the removal's, this one) and no separation.
  expect(await jobKindsSeen(page)).toEqual(['stem-edit', 'stem-edit']);
  await expect(page.locator('[data-testid="job"][data-kind="separation"]:not([data-state="done"])')).toHaveCount(0);
  await shot(page, 'editor-05d-strength.png');
  // Undo puts the separation's own stems back without any job; redo the edited ones.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(strength).toHaveValue('0.5');
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(strength).toHaveValue('0.9');
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false');

  // A selection (I/O marks) of Source 1's stem moved to the residual from the track's menu.
  await seekByWave(page, 1, CLIP_SEC);
  await page.keyboard.press('i');
  await seekByWave(page, 2, CLIP_SEC);
  await page.keyboard.press('o');
  const source1 = page.locator('[data-testid="track"][data-name="Source 1"]');
  await source1.getByTestId('track-wave').click({ button: 'right' });
  const menu = page.getByTestId('track-menu');
  await expect(menu).toBeVisible();
  await shot(page, 'editor-05e-move-selection.png');
  await menu.getByRole('menuitem', { name: 'the residual' }).click();
  await expect(menu).toBeHidden();
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveAttribute('title', /Move part of Source 1 to the residual/);
  await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 120_000 });

  // Export: Source 1 is silent inside the moved range and the files sum to the original.
  const exp = await exportFloatStems(page, mediaDir);
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 120_000 });
  const folder = path.join(mediaDir, 'edits-6s export');
  const wavs = readdirSync(folder).filter((f) => f.endsWith('.wav')).sort();
  expect(wavs).toEqual(['01_edits-6s_Source 1.wav', '02_edits-6s_residual.wav']);
  const files = wavs.map((f) => path.join(folder, f));
  const { rate, channels } = wavInfo(files[0]);
  const s1 = f32Samples(files[0]);
  let inside = 0;
  for (let i = Math.round(1.02 * rate) * channels; i < Math.round(1.98 * rate) * channels; i++) inside = Math.max(inside, Math.abs(s1[i]));
  expect(inside).toBe(0);
  expect(sumSnrDb(clip, files, test.info().outputPath('original.wav'))).toBeGreaterThan(60);
});
