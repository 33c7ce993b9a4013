/**
 * A source asked for by name: an audio-only file (nothing to click on) gets a source from "Add
 * source by name"; its class menu remembers what it plays, changes it as an undoable step, and a
 * source named alone cannot lose its class.
 */
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { makeTone } from './helpers';
import { env, openClip, shot } from './open';

test('add a source by name to an audio-only file, then change what it plays and undo that', async ({ page }) => {
  const file = path.join(env('STEMSIGHT_E2E_MEDIA'), 'named-tone.wav');
  makeTone(file, 220);
  await openClip(page, file);
  await expect(page.getByTestId('audio-only')).toContainText('Add source by name');
  const side = page.getByRole('region', { name: 'Selected source' });
  await expect(side).toContainText('add each sound you want by name');

  await side.getByTestId('add-by-name-class').selectOption({ label: 'Speech' });
  await side.getByTestId('add-by-name').click();
  // The new source is selected, with its class, and has a track of its own.
  await expect(side.getByTestId('source-name')).toHaveValue('Speaker');
  await expect(side).toContainText('by name');
  const what = side.getByTestId('source-class');
  await expect(what).toHaveValue('speaker');
  // Named alone, it must keep a class: "not said" is not offered.
  await expect(what.locator('option[value=""]')).toHaveCount(0);
  await expect(page.locator('[data-testid="track"][data-role="source"]')).toHaveCount(1);
  await expect(page.getByTestId('marker')).toHaveCount(0);
  await shot(page, 'source-by-name.png');

  await what.selectOption('guitar');
  await expect(what).toHaveValue('guitar');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(what).toHaveValue('speaker');
});
