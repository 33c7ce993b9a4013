/** Dialogs and their errors: shown where the user is looking, keyboard-usable, never cut off. */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { env, openClip } from './open';

/** The element painted at the centre of `loc` is `loc` or inside it (nothing covers it). */
async function onTop(loc: Locator): Promise<boolean> {
  return loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return Boolean(hit && (hit === el || el.contains(hit)));
  });
}

async function pickerOpen(page: Page, file: string): Promise<Locator> {
  await page.goto(env('STEMSIGHT_E2E_URL'));
  await page.getByTestId('open-media').click();
  const dialog = page.getByRole('dialog', { name: 'Open media' });
  await dialog.getByTestId('path-input').fill(file);
  await dialog.getByTestId('path-open').click();
  return dialog;
}

test('open errors show in the picker, on top, each said once', async ({ page }) => {
  const media = env('STEMSIGHT_E2E_MEDIA');
  // A real file outside the allowed folders.
  let dialog = await pickerOpen(page, path.join(process.cwd(), 'resources', 'demo', 'demo.mp4'));
  let problem = dialog.getByTestId('open-problem');
  await expect(problem).toContainText('outside the folders');
  expect(await onTop(problem)).toBe(true);
  await expect(page.locator('.error[role="alert"]')).toHaveCount(0); // no banner behind the veil

  // A video with no audio track.
  const silent = path.join(media, 'no-audio.mp4');
  if (!existsSync(silent)) {
    const ffmpeg = (createRequire(path.join(process.cwd(), 'package.json'))('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', silent]);
    expect(r.status).toBe(0);
  }
  dialog = await pickerOpen(page, silent);
  problem = dialog.getByTestId('open-problem');
  await expect(problem).toContainText('no audio track');
  expect(await onTop(problem)).toBe(true);

  // A damaged file: the message names it once and does not repeat itself.
  const broken = path.join(media, 'broken.mp4');
  writeFileSync(broken, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(4000, 7)]));
  dialog = await pickerOpen(page, broken);
  problem = dialog.getByTestId('open-problem');
  await expect(problem).toBeVisible();
  const text = (await problem.textContent())!;
  expect(text.split('broken.mp4').length - 1).toBe(1);
});

test('export dialog takes the focus, closes on Esc, fits at 1280 px', async ({ page }) => {
  await openClip(page);
  const opener = page.getByTestId('play');
  await opener.focus();
  await page.keyboard.press('Control+e');
  const dialog = page.getByRole('dialog', { name: 'Export' });
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);

  // Every control lies wholly inside its fieldset and the dialog, and shows its whole value.
  const box = (await dialog.boundingBox())!;
  for (const control of await dialog.locator('fieldset select, fieldset input.mono').all()) {
    const c = (await control.boundingBox())!;
    const fs = (await control.locator('xpath=ancestor::fieldset').boundingBox())!;
    expect(c.x).toBeGreaterThanOrEqual(fs.x);
    expect(c.x + c.width).toBeLessThanOrEqual(fs.x + fs.width + 0.5);
    expect(c.x + c.width).toBeLessThanOrEqual(box.x + box.width);
    const fits = await control.evaluate((el) => {
      if (el instanceof HTMLSelectElement) {
        const probe = document.createElement('span');
        probe.style.cssText = `font:${getComputedStyle(el).font};position:absolute;visibility:hidden;white-space:nowrap`;
        probe.textContent = el.selectedOptions[0]?.textContent ?? '';
        document.body.append(probe);
        const w = probe.getBoundingClientRect().width;
        probe.remove();
        return w + 24 <= el.clientWidth; // text plus the arrow
      }
      return el.scrollWidth <= el.clientWidth;
    });
    expect(fits, `${await control.getAttribute('aria-label')} shows its whole value`).toBe(true);
  }

  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('at 1024x640 the transport stays clear of the inspector', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 640 });
  await openClip(page);
  const exportButton = (await page.getByTestId('open-export').boundingBox())!;
  const side = (await page.getByRole('complementary', { name: 'Inspector' }).boundingBox())!;
  expect(exportButton.x + exportButton.width).toBeLessThanOrEqual(side.x);
  expect(await onTop(page.getByTestId('open-export'))).toBe(true);
});

test('quick arrow presses on a gain slider all count', async ({ page }) => {
  await openClip(page);
  const original = page.locator('[data-testid="track"][data-role="original"]');
  const gain = original.getByLabel('Gain of Original in dB');
  await gain.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  await expect(original.locator('.db')).toHaveText('-5.0');
  await page.waitForTimeout(800); // every answer from main has arrived
  await expect(original.locator('.db')).toHaveText('-5.0');
  await expect(gain).toHaveValue('-5');
});
