/** Keyboard transport, time selection and loop, and lip sync measured from the page. */
import { expect, test, type Page } from '@playwright/test';
import { audioClockRate, openClip, shot, videoTime } from './open';

test.describe.configure({ timeout: 240_000 }); // a loaded machine plays slowly

const near = (page: Page, sec: number, within = 0.03) => expect.poll(() => videoTime(page)).toBeGreaterThan(sec - within).then(() => expect.poll(() => videoTime(page)).toBeLessThan(sec + within));

test('J/K/L, arrows, Home/End, I/O marks and loop playback of the selection', async ({ page }) => {
  await openClip(page);
  const duration = await page.getByTestId('video').evaluate((v: HTMLVideoElement) => v.duration);
  const key = (k: string) => page.locator('body').press(k);

  await key('End');
  await near(page, duration, 0.05);
  await key('Home');
  await near(page, 0);
  for (let i = 0; i < 5; i++) await key('ArrowRight'); // 5 frames at 25 fps
  await near(page, 0.2, 0.01);
  await key('ArrowLeft');
  await near(page, 0.16, 0.01);
  await key('Home');
  await key('Shift+ArrowRight');
  await near(page, 1, 0.01);

  // I and O mark a selection at the playhead.
  await key('i');
  await key('Shift+ArrowRight');
  await near(page, 2, 0.01);
  await key('o');
  await expect(page.getByTestId('ruler-selection')).toBeVisible();
  await page.getByLabel('Zoom the tracks').fill('300');
  await shot(page, 'timeline-selection.png');

  // Loop: play runs inside the selection and comes round again.
  const loop = page.getByTestId('loop');
  await expect(loop).toBeEnabled();
  await loop.click();
  await expect(loop).toHaveAttribute('aria-pressed', 'true');
  await key('l');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  const seen: number[] = [];
  for (let i = 0; i < 30; i++) {
    seen.push(await videoTime(page));
    await page.waitForTimeout(100);
  }
  await key('k');
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  expect(Math.min(...seen)).toBeGreaterThan(0.9);
  expect(Math.max(...seen)).toBeLessThan(2.15);
  expect(seen.some((t, i) => i > 0 && t < seen[i - 1] - 0.3), `came round again: ${seen.map((t) => t.toFixed(2)).join(' ')}`).toBe(true);

  // J shuttles backwards (silently), K stops it.
  await key('Shift+ArrowRight');
  await key('Shift+ArrowRight');
  const before = await videoTime(page);
  await key('j');
  await expect.poll(() => videoTime(page)).toBeLessThan(before - 0.3);
  await key('k');
  const stopped = await videoTime(page);
  await page.waitForTimeout(300);
  expect(await videoTime(page)).toBeCloseTo(stopped, 2);

  // Esc clears the selection; nothing is left to loop.
  await key('Escape');
  await expect(page.getByTestId('ruler-selection')).toHaveCount(0);
  await expect(loop).toBeDisabled();
});

test('the picture stays within 15 ms of the sound while playing', async ({ page }) => {
  await openClip(page);
  await page.locator('body').press('Space');
  const video = page.getByTestId('video');
  const state = () => video.evaluate((v: HTMLVideoElement) => JSON.stringify({ t: v.currentTime, paused: v.paused, heard: v.dataset.heard, av: v.dataset.avOffset, drift: v.dataset.drift }));
  // Lip sync can only be measured where the page's audio clock keeps real time. On an overloaded
  // machine headless Chromium's silent audio output can run seconds ahead (the clip then "ends"
  // at once); say so instead of reporting a meaningless offset.
  await page.waitForTimeout(300); // the player has published where the sound is
  const clockRate = await audioClockRate(page);
  test.skip(!(Math.abs(clockRate - 1) < 0.1), `the page's audio clock ran at ${clockRate.toFixed(2)}x real time here, so lip sync cannot be measured`);
  await expect(page.getByRole('button', { name: 'Pause' }), await state()).toBeVisible();
  // For every frame shown: its media time minus the sound at the speakers at the moment it is
  // shown (the player publishes where the sound is on the page's clock, data-heard).
  const offsets = await page.getByTestId('video').evaluate(
    (v: HTMLVideoElement) =>
      new Promise<number[]>((resolve) => {
        const out: number[] = [];
        const t0 = performance.now();
        const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
          const [perf, media] = (v.dataset.heard ?? '').split(' ').map(Number);
          if (Number.isFinite(perf) && performance.now() - t0 > 1000) out.push(meta.mediaTime - (media + (meta.expectedDisplayTime - perf) / 1000));
          if (performance.now() - t0 < 4200 && !v.paused) v.requestVideoFrameCallback(onFrame);
          else resolve(out);
        };
        v.requestVideoFrameCallback(onFrame);
      }),
  );
  const sorted = [...offsets].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
  const report = `${offsets.length} frames, mean ${(mean * 1000).toFixed(1)} ms, median ${(median * 1000).toFixed(1)} ms, range ${(sorted[0] * 1000).toFixed(0)}..${(sorted.at(-1)! * 1000).toFixed(0)} ms`;
  test.info().annotations.push({ type: 'A/V offset', description: report });
  console.log(`A/V offset: ${report}`);
  expect(offsets.length, report).toBeGreaterThan(20);
  expect(Math.abs(mean), report).toBeLessThan(0.015);
  expect(Math.abs(median), report).toBeLessThan(0.015);
  // What the player publishes for bug reports (smoothed, picture minus sound heard) agrees.
  expect(Math.abs(Number((await video.getAttribute('data-drift')) ?? NaN)), report).toBeLessThan(0.04);
});
