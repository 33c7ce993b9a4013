/**
 * Dragging a source's marker moves that source (one undo step) instead of adding a new one where
 * the drag ends.
 */
import { expect, test, type Page } from '@playwright/test';
import { openCopy } from './open';

/** The marker's position as 0..1 of the picture (its style is a percentage of the overlay). */
async function markerAt(page: Page): Promise<{ x: number; y: number }> {
  return page.getByTestId('marker').evaluate((el: HTMLElement) => ({ x: parseFloat(el.style.left) / 100, y: parseFloat(el.style.top) / 100 }));
}

test('dragging a marker moves its source; undo puts it back', async ({ page }) => {
  await openCopy(page, 'marker-drag.mp4');
  const overlay = page.getByTestId('video-overlay');
  const box = (await overlay.boundingBox())!;

  await page.mouse.click(box.x + 0.3 * box.width, box.y + 0.4 * box.height);
  await expect(page.getByTestId('marker')).toHaveCount(1);
  const start = await markerAt(page);
  expect(start.x).toBeCloseTo(0.3, 2);

  // Press on the marker, move in steps as a hand does, release elsewhere in the picture (aimed in
  // the picture as it is now).
  await expect(page.getByTestId('track')).toHaveCount(2);
  const now = (await overlay.boundingBox())!;
  const m = (await page.getByTestId('marker').locator('.dot').boundingBox())!;
  await page.mouse.move(m.x + m.width / 2, m.y + m.height / 2);
  await page.mouse.down();
  await page.mouse.move(now.x + 0.6 * now.width, now.y + 0.55 * now.height, { steps: 8 });
  await page.mouse.up();

  await expect(page.getByTestId('marker')).toHaveCount(1);
  await expect(page.getByRole('button', { name: /Source 1: Source 1/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /Source 2/ })).toHaveCount(0);
  await expect.poll(async () => (await markerAt(page)).x).toBeCloseTo(0.6, 2);
  expect((await markerAt(page)).y).toBeCloseTo(0.55, 2);

  // The whole drag is one undo step.
  await page.keyboard.press('Control+z');
  await expect.poll(async () => (await markerAt(page)).x).toBeCloseTo(0.3, 2);
  await expect(page.getByTestId('marker')).toHaveCount(1);
  // Remove the source again before its separation is due, so the clip costs no model run.
  await page.getByTestId('marker').click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('marker')).toHaveCount(0);
});
