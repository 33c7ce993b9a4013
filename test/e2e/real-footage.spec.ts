/**
 * Real footage in the browser UI: a clip made from a real photograph of two people and a real voice
 * (test/fixtures/real; CI fetches the material). The app takes it for real footage by itself,
 * outlines the faces, and a click on a face makes a speaker source; its stems are exported, its
 * strength raised (a stem edit: the speech enhancer removes more) and the stems exported again.
 */
import { expect, test } from '@playwright/test';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BAR55_2, makeTalkingClip, materialAvailable } from '../fixtures/real/make-clips';
import { f32Samples, jobKindsSeen, sumSnrDb, watchJobs } from './helpers';
import { env, exportFloatStems, openClip, shot } from './open';

test.describe.configure({ timeout: 600_000 });

const have = materialAvailable();
if (!have && process.env.CI) throw new Error('real test material is missing: run test/fixtures/real/fetch-material.sh');

test('real footage: faces outlined, a click on one makes a speaker source, export, strength, export again', async ({ page }) => {
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

  const tracks = page.getByRole('region', { name: 'Tracks' });
  // Every separation and stem edit has finished (a preview's stems fit the sources too, and the
  // whole file's are edited again when they arrive): the stems on screen are the final ones.
  const settled = async () => {
    for (const kind of ['separation', 'stem-edit']) {
      await expect(page.locator(`[data-testid="job"][data-kind="${kind}"]:not([data-state="done"])`)).toHaveCount(0, { timeout: 240_000 });
    }
    await expect(tracks).toHaveAttribute('data-stems-stale', 'false', { timeout: 120_000 });
  };
  await settled();

  // Export the stems, as separated at the default strength.
  const exported = async (folder: string): Promise<string[]> => {
    mkdirSync(folder, { recursive: true });
    const exp = await exportFloatStems(page, folder);
    await exp.getByTestId('export-start').click();
    await expect(exp.getByTestId('export-done')).toBeVisible({ timeout: 240_000 });
    await page.keyboard.press('Escape');
    await expect(exp).toBeHidden();
    const outDir = path.join(folder, 'talking export');
    const wavs = readdirSync(outDir).filter((f) => f.endsWith('.wav')).sort();
    expect(wavs).toEqual(['01_talking_Source 1.wav', '02_talking_residual.wav']);
    return wavs.map((w) => path.join(outDir, w));
  };
  const before = await exported(path.join(mediaDir, 'real-default'));

  // Strength: the speaker's stem keeps out more of the rest (the speech enhancer included). Only
  // a stem edit runs: the separation is not done again.
  const strength = page.getByTestId('source-strength');
  await expect(strength).toHaveValue('0.5');
  // Finished jobs leave the panel after a few seconds, so the jobs are watched as they appear.
  await watchJobs(page);
  await strength.fill('1');
  await expect(page.getByTestId('source-strength-value')).toHaveText('100%');
  await expect.poll(() => jobKindsSeen(page), { timeout: 60_000 }).toContain('stem-edit');
  await settled();
  expect(await jobKindsSeen(page)).toEqual(['stem-edit']);
  // The stems' waveforms are drawn (the picture for the user guide).
  await expect(page.getByTestId('track-wave')).toHaveCount(2, { timeout: 60_000 });
  await shot(page, 'real-03-strength.png');
  const after = await exported(path.join(mediaDir, 'real-strong'));

  // The speaker's stem changed, what it gave up is in the residual, and both exports sum to the original.
  const energy = (file: string) => f32Samples(file).reduce((s, v) => s + v * v, 0);
  const [stemBefore, stemAfter] = [f32Samples(before[0]), f32Samples(after[0])];
  expect(stemAfter.length).toBe(stemBefore.length);
  let changed = 0;
  for (let i = 0; i < stemAfter.length; i++) changed += (stemAfter[i] - stemBefore[i]) ** 2;
  expect(changed).toBeGreaterThan(1e-3 * energy(before[0]));
  expect(energy(after[1])).toBeGreaterThan(energy(before[1]));
  expect(energy(after[0])).toBeLessThan(energy(before[0]));
  for (const files of [before, after]) expect(sumSnrDb(clip, files, test.info().outputPath('original.wav'))).toBeGreaterThan(60);
  expect(errors).toEqual([]);
});
