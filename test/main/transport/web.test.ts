import net from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../../src/main/transport/web';
import { stubApi } from './stub-api';

let tmp: string;
let server: WebServer;
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

const api = stubApi(() => path.join(tmp, 'm.mp4'));

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-web-'));
  mkdirSync(path.join(tmp, 'renderer'));
  writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
  writeFileSync(path.join(tmp, 'm.mp4'), bytes);
  server = await startWebServer({ api, rendererDir: path.join(tmp, 'renderer'), token: 'T'.repeat(43) });
});

afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const auth = () => ({ 'x-stemsight-token': server.token });

describe('web transport', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
  });

  it('never puts the token in a cookie (cookies ignore ports, so other loopback servers would get it)', async () => {
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(first.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(first.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('serves the page shell without the token but no data without it', async () => {
    expect((await fetch(`${server.origin}/`)).status).toBe(200);
    for (const p of ['/media/7', '/audio/stem-1', '/api/app.info', `/media/7?token=${'T'.repeat(42)}U`]) {
      const r = await fetch(`${server.origin}${p}`, { method: p.startsWith('/api') ? 'POST' : 'GET', headers: { origin: server.origin } });
      expect(r.status, p).toBe(401);
    }
    // What the browser loads itself (<video src>) carries the token in the query.
    expect((await fetch(`${server.origin}/media/7?token=${server.token}`)).status).toBe(200);
  });

  it('serves media by id with byte ranges', async () => {
    const whole = await fetch(`${server.origin}/media/7`, { headers: auth() });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);
    const part = await fetch(`${server.origin}/media/7`, { headers: { ...auth(), range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
    const tail = await fetch(`${server.origin}/media/7`, { headers: { ...auth(), range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(990));
    const bad = await fetch(`${server.origin}/media/7`, { headers: { ...auth(), range: 'bytes=5000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */1000');
    expect((await fetch(`${server.origin}/media/8`, { headers: auth() })).status).toBe(404);
    expect((await fetch(`${server.origin}/media/7abc`, { headers: auth() })).status).toBe(404);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/renderer/../../secret.txt']) {
      const r = await fetch(`${server.origin}${p}`, { headers: auth() });
      expect(r.status, p).toBe(404);
    }
  });

  it('accepts API calls only as same-origin JSON POSTs', async () => {
    const post = (headers: Record<string, string>, body = '{"a":1}') =>
      fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: { ...auth(), origin: server.origin, ...headers }, body });
    const good = await post({ 'content-type': 'application/json' });
    expect(await good.json()).toEqual({ ok: true, result: { name: 'app.info', payload: { a: 1 } } });
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/json' }, 'x'.repeat(2 << 20))).status).toBe(413);
    const notJson = await post({ 'content-type': 'application/json' }, '{');
    expect(await notJson.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await fetch(`${server.origin}/api/app.info`, { headers: auth() })).status).toBe(405);
  });
});

/** Send raw bytes (a request no well-behaved client would build) and return the status line. */
function rawRequest(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('web transport against malformed requests', () => {
  it('answers 400 to a request target that is not a valid URL and keeps serving', async () => {
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    for (const head of [
      `GET //[ HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
      `GET //[ HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      `GET http://[::1 HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    ]) {
      expect(await rawRequest(head), head).toMatch(/^HTTP\/1\.1 400/);
    }
    expect((await fetch(`${server.origin}/media/7`, { headers: auth() })).status).toBe(200);
  });

  it('answers 400, not 500, to bad percent-encoding', async () => {
    for (const p of ['/%E0%A4%A', '/%', '/assets/%ff%fe']) {
      expect((await fetch(`${server.origin}${p}`, { headers: auth() })).status, p).toBe(400);
    }
  });
});
