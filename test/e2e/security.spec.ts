import { expect, request, test } from '@playwright/test';
import WebSocket from 'ws';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (global-setup did not run)`);
  return v;
};

const origin = () => env('STEMSIGHT_E2E_ORIGIN');
const token = () => env('STEMSIGHT_E2E_TOKEN');

async function api(name: string, body: unknown, headers: Record<string, string>) {
  const ctx = await request.newContext({ baseURL: origin(), extraHTTPHeaders: {} });
  const res = await ctx.post(`/api/${name}`, { data: body, headers: { 'content-type': 'application/json', ...headers } });
  const out = { status: res.status(), text: await res.text() };
  await ctx.dispose();
  return out;
}

function wsStatus(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

test('the API refuses requests without the token or with a wrong token', async () => {
  const good = { origin: origin(), 'x-stemsight-token': token() };
  expect((await api('app.info', {}, good)).status).toBe(200);
  expect((await api('app.info', {}, { origin: origin() })).status).toBe(401);
  expect((await api('app.info', {}, { origin: origin(), 'x-stemsight-token': `${token()}x` })).status).toBe(401);
  expect((await api('app.info', {}, { origin: origin(), 'x-stemsight-token': 'a'.repeat(token().length) })).status).toBe(401);

  // Media needs the token too (in the query, as <video src> cannot send a header). The page shell
  // is the public bundle and holds no data, so it loads without one.
  const ctx = await request.newContext();
  expect((await ctx.get(`${origin()}/`)).status()).toBe(200);
  expect((await ctx.get(`${origin()}/media/1`)).status()).toBe(401);
  expect((await ctx.get(`${origin()}/audio/original-1`)).status()).toBe(401);
  expect((await ctx.get(`${origin()}/?token=${token()}`)).status()).toBe(200);
  await ctx.dispose();
});

test('the browser never holds the token in a cookie (cookies are not scoped by port)', async ({ page, context }) => {
  await page.goto(`${origin()}/?token=${token()}`);
  await expect(page).toHaveURL((u) => !u.searchParams.has('token'));
  expect(await context.cookies()).toEqual([]);
});

test('the API refuses a foreign Origin, a foreign Host and cross-site fetches even with the token', async () => {
  const t = { 'x-stemsight-token': token() };
  expect((await api('app.info', {}, { ...t, origin: 'http://evil.example' })).status).toBe(403);
  expect((await api('app.info', {}, { ...t, origin: 'null' })).status).toBe(403);
  // DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends its own Host.
  expect((await api('app.info', {}, { ...t, origin: origin(), host: 'attacker.example' })).status).toBe(403);
  expect((await api('app.info', {}, { ...t, origin: origin(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  // A POST without Origin is refused too: browsers always send one, so only odd clients lack it.
  expect((await api('app.info', {}, t)).status).toBe(403);
});

test('the event WebSocket needs the token and our Origin', async () => {
  const base = origin().replace('http', 'ws');
  expect(await wsStatus(`${base}/events?token=${token()}`, { origin: origin() })).toBe('open');
  expect(await wsStatus(`${base}/events`, { origin: origin() })).toBe(401);
  expect(await wsStatus(`${base}/events?token=${token()}`, { origin: 'http://evil.example' })).toBe(403);
  expect(await wsStatus(`${base}/events?token=${token()}`, {})).toBe(403);
});

test('payloads are validated and paths from the client are not trusted', async () => {
  const h = { origin: origin(), 'x-stemsight-token': token() };
  const call = async (name: string, body: unknown) => JSON.parse((await api(name, body, h)).text) as { ok: boolean; error?: { code: string } };

  expect((await call('no.such.request', {})).error?.code).toBe('bad_request');
  expect((await call('projects.open', { projectId: 'one' })).error?.code).toBe('bad_request');
  expect((await call('projects.open', { projectId: 1, extra: true })).error?.code).toBe('bad_request');
  expect((await call('media.open', { path: 'relative/clip.mp4' })).error?.code).toBe('bad_request');
  // Outside the allowed roots (only the fixture folder in this run).
  expect((await call('media.open', { path: '/etc/passwd' })).error?.code).toBe('forbidden');
  expect((await call('files.list', { dir: '/etc' })).error?.code).toBe('forbidden');
  expect((await call('media.open', { path: `${env('STEMSIGHT_E2E_MEDIA')}/../../../../etc/passwd` })).error?.code).toBe('forbidden');
  // Inside the root but not media.
  expect((await call('media.open', { path: `${env('STEMSIGHT_E2E_MEDIA')}/notes.txt` })).error?.code).toBe('bad_request');
  // The browser has no native dialog.
  expect((await call('media.openDialog', {})).error?.code).toBe('unsupported');

  // Static files and media cannot be reached by path.
  const ctx = await request.newContext({ extraHTTPHeaders: { 'x-stemsight-token': token() } });
  for (const p of ['/media/..%2f..%2fetc%2fpasswd', '/media/0', '/media/999999', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json']) {
    expect((await ctx.get(`${origin()}${p}`)).status(), p).toBe(404);
  }
  await ctx.dispose();
});
