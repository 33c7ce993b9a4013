/**
 * Real footage in the browser UI: a clip made from a real photograph of two people and a real voice
 * (test/fixtures/real; CI fetches the material). The app takes it for real footage by itself,
 * outlines the faces, and a click on a face makes a speaker source; then the stems are exported.
 */
import { expect, test } from '@playwright/test';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BAR55_2, makeTalkingClip, materialAvailable } from '../fixtures/real/make-clips';
import { wavInfo } from './helpers';
import { env, openClip, shot } from './open';

test.describe.configure({ timeout: 420_000 });

const have = materialAvailable();
if (!have && process.env.CI) throw new Error('real test material is missing: run test/fixtures/real/fetch-material.sh');

test('real footage: faces outlined, a click on one makes a speaker source, export', async ({ page }) => {
  test.skip(!have, 'real test material not fetched (test/fixtures/real/fetch-material.sh)');
  const mediaDir = env('STEMSIGHT_E2E_MEDIA');
  const clip = path.join(mediaDir, 'talking.mp4');
  if (!existsSync(clip)) makeTalkingClip(clip);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await openClip(page, clip);

  // The app decides by itself that this is real footage, and outlines both faces.
  const scene = page.getByTestId('scene-setting');
  await expect(scene.locator('option[value="auto"]')).toHaveText('Auto (real footage)', { timeout: 300_000 });
  const faces = page.locator('[data-testid="target"][data-kind="face"]');
  await expect(faces).toHaveCount(2);

  // The man's face (hand-drawn box on the photo) is outlined where he is.
  const overlay = (await page.getByTestId('video-overlay').boundingBox())!;
  const man = BAR55_2.man;
  const manCentre = { x: overlay.x + ((man[0] + man[2]) / 2) * overlay.width, y: overlay.y + ((man[1] + man[3]) / 2) * overlay.height };
  const boxes = await faces.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  const his = boxes.find((b) => manCentre.x > b.x && manCentre.x < b.x + b.w && manCentre.y > b.y && manCentre.y < b.y + b.h);
  expect(his, `a face box around ${JSON.stringify(manCentre)} in ${JSON.stringify(boxes)}`).toBeTruthy();

  // Hovering highlights it and shows its track over the clip.
  await page.mouse.move(manCentre.x, manCentre.y);
  await expect(page.locator('[data-testid="target"].hovered')).toHaveCount(1);
  await expect(page.getByTestId('track-path')).toBeVisible();
  await shot(page, 'real-01-faces.png');

  // A click on a person (outside the faces) asks what they play; Cancel adds nothing.
  const person = (await page.locator('[data-testid="target"][data-kind="person"]').first().boundingBox())!;
  await page.mouse.click(person.x + person.width / 2, person.y + person.height * 0.85);
  const plays = page.getByTestId('plays-menu');
  await expect(plays).toBeVisible();
  await expect(plays.getByRole('menuitem', { name: 'guitar' })).toBeVisible();
  await expect(plays.getByRole('menuitem', { name: 'speaker' })).toHaveCount(0);
  await plays.getByRole('menuitem', { name: 'Cancel' }).click();
  await expect(plays).toBeHidden();
  await expect(page.getByTestId('marker')).toHaveCount(0);

  // A click on the face makes a source at the face's centre.
  await page.mouse.click(manCentre.x, manCentre.y);
  await expect(page.getByTestId('marker')).toHaveCount(1);
  await expect(page.locator('[data-testid="track"][data-role="source"]')).toHaveCount(1);
  // The new track makes the picture smaller: compare the marker with the face as laid out now.
  const faceNow = await faces.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
  const marker = (await page.getByTestId('marker').locator('.dot').boundingBox())!;
  const mx = marker.x + marker.width / 2, my = marker.y + marker.height / 2;
  const hisNow = faceNow.find((b) => mx > b.x && mx < b.x + b.w && my > b.y && my < b.y + b.h);
  expect(hisNow, `the marker at ${mx},${my} is on a face in ${JSON.stringify(faceNow)}`).toBeTruthy();
  expect(Math.abs(mx - (hisNow!.x + hisNow!.w / 2))).toBeLessThan(3);
  expect(Math.abs(my - (hisNow!.y + hisNow!.h / 2))).toBeLessThan(3);
  await expect(page.locator('[data-testid="track"][data-role="residual"]')).toHaveCount(1, { timeout: 240_000 });
  await shot(page, 'real-02-speaker.png');

  // Export the stems into the media folder.
  await page.keyboard.press('Control+e');
  const exp = page.getByRole('dialog', { name: 'Export' });
  await expect(exp).toBeVisible();
  await exp.getByLabel('Export mix').uncheck();
  await exp.getByLabel('Export video copy').uncheck();
  await exp.getByLabel('Export stems').check();
  await exp.getByTestId('export-folder').fill(mediaDir);
  await exp.getByTestId('export-start').click();
  await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 240_000 });
  const outDir = path.join(mediaDir, 'talking export');
  const wavs = readdirSync(outDir).filter((f) => f.endsWith('.wav')).sort();
  expect(wavs).toHaveLength(2);
  const infos = wavs.map((w) => wavInfo(path.join(outDir, w)));
  expect(infos[0].frames).toBe(infos[1].frames);
  expect(errors).toEqual([]);
});
