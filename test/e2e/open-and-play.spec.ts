import { expect, test, type Page } from '@playwright/test';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (global-setup did not run)`);
  return v;
};

/** Painted (non-transparent) pixels in wavesurfer's canvases, read inside its shadow DOM. */
async function paintedWaveformPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const host = document.querySelector('[data-testid="waveform"] .canvas > div');
    const canvases = Array.from(host?.shadowRoot?.querySelectorAll('canvas') ?? []);
    let painted = 0;
    for (const c of canvases) {
      if (!c.width || !c.height) continue;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    }
    return painted;
  });
}

/** wavesurfer's cursor position as a fraction of the waveform width. */
async function cursorFraction(page: Page): Promise<number> {
  return page.evaluate(() => {
    const host = document.querySelector('[data-testid="waveform"] .canvas > div');
    const cursor = host?.shadowRoot?.querySelector('.cursor') as HTMLElement | null;
    return cursor ? parseFloat(cursor.style.left || '0') / 100 : -1;
  });
}

test('open a clip, see video and waveform, play them in sync', async ({ page }, testInfo) => {
  const clip = env('STEMSIGHT_E2E_CLIP');
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`${r.status()} ${new URL(r.url()).pathname}`));

  await page.goto(env('STEMSIGHT_E2E_URL'));
  // The token leaves the address bar once the page has it.
  await expect(page).toHaveURL((u) => !u.searchParams.has('token'));
  await expect(page.getByRole('heading', { name: 'Open a video and hear it in parts.' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('01-start.png') });
  await testInfo.attach('start screen', { path: testInfo.outputPath('01-start.png'), contentType: 'image/png' });

  // Browser UI: "Open media…" opens main's file picker; browse into the fixture folder.
  await page.getByTestId('open-media').click();
  const dialog = page.getByRole('dialog', { name: 'Open media' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: env('STEMSIGHT_E2E_MEDIA') }).click();
  await expect(dialog.getByRole('button', { name: 'test-clip.mp4' })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'notes.txt' })).toHaveCount(0); // media only
  await page.screenshot({ path: testInfo.outputPath('02-picker.png') });
  await dialog.getByTestId('path-input').fill(clip);
  await dialog.getByTestId('path-open').click();
  await expect(dialog).toBeHidden();

  // Video loaded from /media/<id> (by database id, never by path).
  const video = page.getByTestId('video');
  await expect(video).toBeVisible();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { message: 'video metadata' }).toBeGreaterThanOrEqual(2);
  const meta = await video.evaluate((v: HTMLVideoElement) => ({ src: v.currentSrc, duration: v.duration, w: v.videoWidth, h: v.videoHeight }));
  expect(new URL(meta.src).pathname).toMatch(/^\/media\/\d+$/);
  expect(meta.src).not.toContain('test-clip');
  expect(meta.duration).toBeGreaterThan(5.5);
  expect(meta.duration).toBeLessThan(6.5);
  expect([meta.w, meta.h]).toEqual([640, 360]);

  // Waveform drawn from main's peaks.
  await expect(page.getByTestId('waveform')).toHaveAttribute('data-ready', 'true');
  expect(await paintedWaveformPixels(page)).toBeGreaterThan(1000);
  await expect(page.getByTestId('time')).toContainText('0:06.0');
  await page.screenshot({ path: testInfo.outputPath('03-project.png') });

  // Space plays: the video's clock advances and the waveform cursor follows it.
  await page.locator('body').press('Space');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { message: 'playback advances' }).toBeGreaterThan(1.2);
  // The cursor is redrawn every frame; allow a few frames of lag (0.15 s of the clip). Polled, because
  // wavesurfer sets the cursor's position on its next frame (until then style.left is empty).
  const lag = () =>
    page.evaluate(() => {
      const v = document.querySelector('video')!;
      const host = document.querySelector('[data-testid="waveform"] .canvas > div');
      const cursor = host?.shadowRoot?.querySelector('.cursor') as HTMLElement | null;
      if (!cursor || v.paused || !cursor.style.left) return Number.POSITIVE_INFINITY;
      return Math.abs(parseFloat(cursor.style.left) / 100 - v.currentTime / v.duration);
    });
  await expect.poll(lag, { message: 'the waveform cursor follows the playing video' }).toBeLessThan(0.15 / meta.duration + 0.01);
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('04-playing.png') });

  // Space again pauses; the clock and the cursor stop.
  await page.locator('body').press('Space');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
  const stoppedAt = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await page.waitForTimeout(400);
  expect(await video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(stoppedAt, 5);
  expect(await cursorFraction(page)).toBeCloseTo(stoppedAt / meta.duration, 2);

  // Clicking the waveform seeks the video (wavesurfer drives the same element).
  const box = (await page.locator('[data-testid="waveform"] .canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(meta.duration * 0.2);
  expect(await video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeLessThan(meta.duration * 0.3);

  // Back on the start screen the project is in the recent list (state lives in the database).
  await page.getByRole('button', { name: 'Back to projects' }).click();
  const recent = page.getByRole('region', { name: 'Recent projects' });
  await expect(recent.getByText('test-clip', { exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('05-recent.png') });

  // Reopening from the list restores the same project after a reload of the page.
  await page.reload();
  await recent.getByRole('button', { name: /Open test-clip/ }).click();
  await expect(page.getByTestId('waveform')).toHaveAttribute('data-ready', 'true');

  expect(consoleErrors).toEqual([]);
});
