/**
 * The timeline: one ruler above the tracks, zoom and scroll shared by every track, and a playhead
 * drawn where the clock is whatever reloads or re-renders the tracks.
 */
import { expect, test } from '@playwright/test';
import { cursorFraction, openClip, seekByWave, shot, videoTime, waveScroll } from './open';

test('the playhead stays where the clock is after a state reload and a zoom', async ({ page }) => {
  await openClip(page);
  const duration = await page.getByTestId('video').evaluate((v: HTMLVideoElement) => v.duration);
  await seekByWave(page, 4, duration);
  const at = await videoTime(page);
  await expect.poll(() => cursorFraction(page)).toBeCloseTo(at / duration, 2);

  // Switching to B reloads the editor state and re-renders the tracks.
  await page.getByTestId('monitor-original').click();
  await expect(page.getByTestId('monitor-original')).toHaveAttribute('aria-pressed', 'true');
  await page.waitForTimeout(500);
  expect(await cursorFraction(page)).toBeCloseTo(at / duration, 2);

  // Zoomed in, the playhead is still where it was and still on screen.
  await page.getByLabel('Zoom the tracks').fill('400');
  await page.waitForTimeout(500);
  expect(await cursorFraction(page)).toBeCloseTo(at / duration, 2);
  const scroll = await waveScroll(page);
  const width = (await page.locator('[data-testid="waveform"] .canvas').boundingBox())!.width;
  expect(scroll).toBeGreaterThan(0);
  expect(at * 400).toBeGreaterThanOrEqual(scroll);
  expect(at * 400).toBeLessThanOrEqual(scroll + width);
  await expect(page.getByTestId('ruler-playhead')).toBeVisible();
  expect(await videoTime(page)).toBeCloseTo(at, 2);
});

test('one ruler above the tracks, labelled m:ss, follows the scroll; the wheel scrolls', async ({ page }) => {
  await openClip(page);
  const ruler = page.getByTestId('ruler');
  await expect(ruler).toBeVisible();
  // Above the tracks, in none of them.
  await expect(page.locator('[data-testid="track"] [data-testid="ruler"]')).toHaveCount(0);
  const rulerBox = (await ruler.boundingBox())!;
  const firstTrack = (await page.getByTestId('track').first().boundingBox())!;
  expect(rulerBox.y + rulerBox.height).toBeLessThanOrEqual(firstTrack.y + 1);

  const labels = page.getByTestId('ruler-label');
  await expect(labels.first()).toHaveText(/^0:00(\.0)?$/);
  for (const l of await labels.allTextContents()) expect(l).toMatch(/^\d+:\d{2}(\.\d)?$/);

  // Zoomed in, the vertical wheel over the tracks scrolls the timeline (the list fits on screen),
  // and the ruler's labels follow: the first one shown is no longer 0:00.
  await page.getByLabel('Zoom the tracks').fill('400');
  const wave = (await page.locator('[data-testid="waveform"] .canvas').boundingBox())!;
  await page.mouse.move(wave.x + wave.width / 2, wave.y + wave.height / 2);
  await page.mouse.wheel(0, 600);
  await expect.poll(() => waveScroll(page)).toBeGreaterThan(300);
  const scroll = await waveScroll(page);
  const first = labels.first();
  await expect(first).not.toHaveText('0:00');
  // The label sits where its time is on the scrolled waveform.
  const [m, s] = (await first.textContent())!.split(':').map(Number);
  const labelX = (await first.boundingBox())!.x - 3 - rulerBox.x;
  expect(Math.abs(labelX - ((m * 60 + s) * 400 - scroll))).toBeLessThan(4);
  for (const l of await labels.allTextContents()) expect(l).toMatch(/^\d+:\d{2}(\.\d)?$/);
  await shot(page, 'timeline-ruler.png');
});
