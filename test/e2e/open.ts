/** Shared steps of the e2e specs: open a file through the browser UI's picker. */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (global-setup did not run)`);
  return v;
};

/** Opens `file` (default: the 6 s test clip) and waits for the video and the Original's waveform. */
export async function openClip(page: Page, file = env('STEMSIGHT_E2E_CLIP')): Promise<void> {
  await page.goto(env('STEMSIGHT_E2E_URL'));
  await page.getByTestId('open-media').click();
  const dialog = page.getByRole('dialog', { name: 'Open media' });
  await dialog.getByTestId('path-input').fill(file);
  await dialog.getByTestId('path-open').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('waveform')).toHaveAttribute('data-ready', 'true');
}

/** wavesurfer's cursor position on the Original's waveform, as a fraction of the file. */
export function cursorFraction(page: Page): Promise<number> {
  return page.evaluate(() => {
    const host = document.querySelector('[data-testid="waveform"] .canvas > div');
    const cursor = host?.shadowRoot?.querySelector('.cursor') as HTMLElement | null;
    return cursor ? parseFloat(cursor.style.left || '0') / 100 : -1;
  });
}

/** Horizontal scroll (pixels) of the Original's waveform. */
export function waveScroll(page: Page): Promise<number> {
  return page.evaluate(() => {
    const host = document.querySelector('[data-testid="waveform"] .canvas > div');
    return (host?.shadowRoot?.querySelector('.scroll') as HTMLElement | null)?.scrollLeft ?? -1;
  });
}

export const videoTime = (page: Page): Promise<number> => page.getByTestId('video').evaluate((v: HTMLVideoElement) => v.currentTime);

/** Moves the playhead to `sec` by clicking the Original's waveform (unzoomed). */
export async function seekByWave(page: Page, sec: number, durationSec: number): Promise<void> {
  const wave = page.locator('[data-testid="waveform"] .canvas');
  await wave.scrollIntoViewIfNeeded(); // the Original is the last track: below the fold with several sources
  const box = (await wave.boundingBox())!;
  await page.mouse.click(box.x + box.width * (sec / durationSec), box.y + box.height / 2);
  await expect.poll(() => videoTime(page)).toBeGreaterThan(sec - 0.3);
}

/**
 * A screenshot attached to the test; with STEMSIGHT_DOC_SHOTS=1 also written to docs/img/ for the
 * user guide.
 */
export async function shot(page: Page, name: string): Promise<void> {
  const file = test.info().outputPath(name);
  await page.screenshot({ path: file });
  await test.info().attach(name, { path: file, contentType: 'image/png' });
  if (process.env.STEMSIGHT_DOC_SHOTS === '1') await page.screenshot({ path: path.join(process.cwd(), 'docs', 'img', name) });
}

/** Opens a copy of the test clip named `name` (a project of its own) and waits for the picture. */
export async function openCopy(page: Page, name: string): Promise<void> {
  const clip = path.join(env('STEMSIGHT_E2E_MEDIA'), name);
  if (!existsSync(clip)) copyFileSync(env('STEMSIGHT_E2E_CLIP'), clip);
  await openClip(page, clip);
  await expect(page.getByTestId('video-overlay')).toBeVisible();
}

/** Opens the export dialog (Ctrl+E) set to float stems only, at the media's rate, into `folder`. */
export async function exportFloatStems(page: Page, folder: string): Promise<Locator> {
  await page.keyboard.press('Control+e');
  const exp = page.getByRole('dialog', { name: 'Export' });
  await exp.getByLabel('Export stems').check();
  await exp.getByLabel('Export mix').uncheck();
  await exp.getByLabel('Export video copy').uncheck();
  await exp.getByLabel('Export REAPER project').uncheck();
  await exp.getByLabel('Sample format').selectOption('f32');
  await exp.getByLabel('Sample rate').selectOption('');
  await exp.getByTestId('export-folder').fill(folder);
  return exp;
}

/**
 * How fast the page's audio clock runs against real time while playing (1: real time), from where
 * the player says the sound is (data-heard). On an overloaded machine headless Chromium's silent
 * audio output can run far ahead, and lip sync cannot be measured there.
 */
export function audioClockRate(page: Page): Promise<number> {
  return page.getByTestId('video').evaluate(
    (v: HTMLVideoElement) =>
      new Promise<number>((resolve) => {
        const read = () => (v.dataset.heard ?? '').split(' ').map(Number);
        const [p0, m0] = read();
        setTimeout(() => {
          const [p1, m1] = read();
          resolve((m1 - m0) / ((p1 - p0) / 1000));
        }, 500);
      }),
  );
}
