/**
 * The picture is the editor's viewer: it keeps its size while sources (and their tracks) come and
 * go; the track list scrolls instead.
 */
import { expect, test } from '@playwright/test';
import { clickFrame } from './helpers';
import { openCopy } from './open';

test('adding sources, by click or by name, keeps the picture its size; the track list scrolls', async ({ page }) => {
  await openCopy(page, 'layout.mp4');
  const video = page.getByTestId('video');
  const tracks = page.getByTestId('track');
  await expect(tracks).toHaveCount(1);
  const before = (await video.boundingBox())!;

  // Three clicks in the picture, far apart so none lands on an earlier marker.
  for (const [i, [x, y]] of [[0.2, 0.3], [0.5, 0.7], [0.8, 0.4]].entries()) {
    await clickFrame(page, x, y);
    await expect(page.getByTestId('marker')).toHaveCount(i + 1);
  }
  const side = page.getByRole('region', { name: 'Selected source' });
  await side.getByTestId('add-by-name').click();
  await expect(tracks).toHaveCount(5);
  await side.getByTestId('add-by-name').click();
  await expect(tracks).toHaveCount(6);

  const after = (await video.boundingBox())!;
  expect(after).toEqual(before);
  // The tracks that do not fit are scrolled to, not squeezed in.
  const list = page.getByTestId('tracks');
  expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);

  // Undo the five additions before their separation is due, so the clip costs no model run.
  for (let i = 0; i < 5; i++) await page.keyboard.press('Control+z');
  await expect(tracks).toHaveCount(1);
  expect(await video.boundingBox()).toEqual(before);
});
