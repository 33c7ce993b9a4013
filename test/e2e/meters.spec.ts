/** Level meters: a track pushed past full scale lights its clip light and the master's until clicked. */
import { expect, test } from '@playwright/test';
import { openClip } from './open';

test('a track louder than full scale lights its clip light and the master one, until each is clicked', async ({ page }) => {
  await openClip(page);
  const original = page.locator('[data-testid="track"][data-role="original"]');
  const trackClip = original.getByTestId('clip');
  const masterClip = page.getByTestId('master-meters').getByTestId('clip');
  await expect(trackClip).toHaveAccessibleName(/has not clipped/);

  // The clip peaks at 0.7 of full scale: +12 dB takes it well over.
  await original.getByLabel('Gain of Original in dB').fill('12');
  await expect(original.locator('.db')).toHaveText('+12.0');
  await page.getByTestId('play').click();
  await expect(trackClip).toHaveAccessibleName(/clipped: click to clear/);
  await expect(masterClip).toHaveAccessibleName(/clipped: click to clear/);
  await page.getByTestId('play').click();
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();

  // The lights hold after playback stops, until clicked.
  await page.waitForTimeout(500);
  await expect(trackClip).toHaveAccessibleName(/clipped/);
  await trackClip.click();
  await expect(trackClip).toHaveAccessibleName(/has not clipped/);
  await expect(masterClip).toHaveAccessibleName(/clipped: click to clear/);
  await masterClip.click();
  await expect(masterClip).toHaveAccessibleName(/has not clipped/);
});
