/** The browser UI's shell: opening files, and what happens when the server goes away. */
import { expect, test, type WebSocketRoute } from '@playwright/test';
import path from 'node:path';
import { makeTone } from './helpers';
import { env, openClip, shot } from './open';

test('in a browser, Ctrl+O and a dropped file open the file picker', async ({ page }) => {
  await page.goto(env('STEMSIGHT_E2E_URL'));
  await expect(page.getByTestId('open-media')).toBeVisible();
  await page.keyboard.press('Control+o');
  const dialog = page.getByRole('dialog', { name: 'Open media' });
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // A browser keeps a dropped file's place secret: the picker opens and says so, on top.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'holiday.mp4', { type: 'video/mp4' }));
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(dialog).toBeVisible();
  const note = dialog.getByTestId('picker-note');
  await expect(note).toContainText('holiday.mp4');
  expect(await note.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
  })).toBe(true);
});

test('when the server stops, the page says so and Play does nothing', async ({ page }) => {
  let down = false;
  const live: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/events/, (ws) => {
    if (down) return void ws.close();
    ws.connectToServer();
    live.push(ws);
  });
  await openClip(page);
  await expect(page.getByTestId('offline')).toHaveCount(0);

  // The server goes away: its event stream closes and requests fail.
  down = true;
  await page.route('**/api/**', (r) => r.abort());
  for (const ws of live) await ws.close();
  await expect(page.getByTestId('offline')).toBeVisible();
  await expect(page.getByTestId('play')).toBeDisabled();
  await page.locator('body').press('Space');
  await page.waitForTimeout(300);
  expect(await page.getByTestId('video').evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();

  // Back again: the notice goes by itself.
  down = false;
  await page.unroute('**/api/**');
  await expect(page.getByTestId('offline')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('play')).toBeEnabled();
});

test('an audio-only file says why there is nothing to click, and what can be done', async ({ page }) => {
  const file = path.join(env('STEMSIGHT_E2E_MEDIA'), 'tone.wav');
  makeTone(file, 330);
  await openClip(page, file);
  const note = page.getByTestId('audio-only');
  await expect(note).toBeVisible();
  await expect(note).toContainText('no picture');
  await expect(note).toContainText('Add source by name');
  // Nothing asks the user to click in a picture that is not there.
  await expect(page.getByText(/click what you hear in the picture/i)).toHaveCount(0);
  await shot(page, 'audio-only.png');
});

test("the Original's M mutes it wherever it plays", async ({ page }) => {
  await openClip(page);
  const original = page.locator('[data-testid="track"][data-role="original"]');
  // No stems yet: the Original is what plays, on A and on B alike.
  await expect(page.getByTestId('waveform')).not.toHaveClass(/dim/);
  await original.getByTestId('mute').click();
  await expect(page.getByTestId('waveform')).toHaveClass(/dim/);
  await page.getByTestId('monitor-original').click();
  await expect(page.getByTestId('waveform')).toHaveClass(/dim/);
  await original.getByTestId('mute').click();
  await expect(page.getByTestId('waveform')).not.toHaveClass(/dim/);
  // The Original plays alone: there is nothing to solo it against.
  await expect(original.getByTestId('solo')).toHaveCount(0);
});
