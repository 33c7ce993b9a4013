/** Keyboard transport, time selection and loop, and lip sync measured from the page. */
import { expect, test, type Page } from '@playwright/test';
import { openClip, shot, videoTime } from './open';

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
  const video = page.getByTestId('video');
  // For every frame shown: its media time minus the sound at the speakers at the moment it is
  // shown (the player publishes where the sound is on the page's clock, data-heard). Recorded in
  // the page from before the start: on a busy machine each round trip to the page can take
  // seconds, longer than the clip plays.
  const recording = video.evaluate(
    (v: HTMLVideoElement) =>
      new Promise<{ frames: [number, number][]; clockRate: number }>((resolve) => {
        const frames: [number, number][] = [];
        let first: number[] | null = null;
        let last: number[] = [];
        let startedAt = NaN;
        const done = () => resolve({ frames, clockRate: first ? (last[1] - first[1]) / ((last[0] - first[0]) / 1000) : NaN });
        const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
          const heard = (v.dataset.heard ?? '').split(' ').map(Number);
          if (!v.paused && Number.isFinite(heard[0])) {
            first ??= heard;
            last = heard;
            if (Number.isNaN(startedAt)) startedAt = meta.expectedDisplayTime;
            frames.push([meta.expectedDisplayTime - startedAt, meta.mediaTime - (heard[1] + (meta.expectedDisplayTime - heard[0]) / 1000)]);
            // No frame comes once the clip has ended: stop there.
            v.addEventListener('pause', done, { once: true });
          }
          if (!(meta.expectedDisplayTime - startedAt > 4200)) v.requestVideoFrameCallback(onFrame);
          else done();
        };
        v.requestVideoFrameCallback(onFrame);
        setTimeout(done, 20_000);
      }),
  );
  await page.locator('body').press('Space');
  const { frames, clockRate } = await recording;
  // Lip sync can only be measured where the page's audio clock keeps real time. On an overloaded
  // machine headless Chromium's silent audio output can run seconds ahead (the clip then "ends"
  // at once); say so instead of reporting a meaningless offset.
  test.skip(!(Math.abs(clockRate - 1) < 0.1), `the page's audio clock ran at ${clockRate.toFixed(2)}x real time here, so lip sync cannot be measured`);
  // From one second after the picture starts: the first start of a page cannot know how long the
  // picture takes to get moving (its first frame tells, and later starts use that); it is caught
  // up within about half a second.
  const offsets = frames.filter(([shownMs]) => shownMs >= 1000).map(([, offset]) => offset);
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
