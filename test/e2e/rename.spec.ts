/**
 * Renaming a source while its stems arrive: the name being typed is kept (a state reload used to
 * put the old name back into the field, so Enter saved nothing), and the sidebar's header shows
 * the new name.
 */
import { expect, test } from '@playwright/test';
import { openCopy } from './open';

test.describe.configure({ timeout: 480_000 });

test('a rename typed while the stems arrive is kept, and the sidebar header shows it', async ({ page }) => {
  await openCopy(page, 'rename.mp4');
  const overlay = page.getByTestId('video-overlay');
  const box = (await overlay.boundingBox())!;
  await page.mouse.click(box.x + 0.3 * box.width, box.y + 0.4 * box.height);
  await expect(page.getByTestId('marker')).toHaveCount(1);

  // Type the new name and keep the field focused until the separation's stems have arrived (the
  // residual's track appears with them): the editor reloads its state meanwhile.
  const field = page.getByTestId('source-name');
  await field.fill('Speaker');
  await expect(page.getByTestId('track').filter({ hasText: 'Residual' })).toHaveCount(1, { timeout: 400_000 });
  await expect(field).toBeFocused();
  await expect(field).toHaveValue('Speaker');
  await field.press('Enter');

  await expect(page.getByRole('button', { name: /Source 1: Speaker/ })).toBeVisible();
  await expect(page.getByTestId('source-head')).toContainText('Speaker');
  await expect(page.locator('[data-testid="track"][data-name="Speaker"]')).toHaveCount(1);
});
