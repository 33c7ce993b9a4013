import net from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../../src/main/transport/web';
import { stubApi } from './stub-api';
import { rng } from '../../reliability/rng';

/**
 * Request fuzz of the web transport: seeded random raw requests (targets with brackets, stray
 * percent signs, control bytes, odd methods and headers, with and without the token) must each get
 * an answer that is not a 5xx, and the server must keep serving. Bounded: REQUESTS per run.
 */
const REQUESTS = 400;

let tmp: string;
let server: WebServer;
const api = stubApi(() => path.join(tmp, 'm.mp4'));

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-fuzz-'));
  mkdirSync(path.join(tmp, 'renderer'));
  writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html>');
  writeFileSync(path.join(tmp, 'm.mp4'), Buffer.alloc(300, 1));
  server = await startWebServer({ api, rendererDir: path.join(tmp, 'renderer'), token: 'F'.repeat(43) });
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const PIECES = ['/', '//', '[', ']', '%', '%E0%A4%A', '%ff', '%2e%2e', '..', '?', '#', '@', ':', 'api/', 'media/', 'audio/', 'events', 'app.info', '7', 'stem-1', '%00', '\u00e9', '\u{1F600}', 'token=', 'F'.repeat(43), '&', ';', '\\', '~'];
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'FOO'];

function randomRequest(r: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  let target = r() < 0.8 ? '/' : pick(['', '*', 'http://', '//']);
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) target += pick(PIECES);
  const method = pick(METHODS);
  const host = r() < 0.85 ? `127.0.0.1:${server.port}` : pick(['evil.example', '', `localhost:${server.port}`, '[::1']);
  const headers = [`Host: ${host}`, 'Connection: close'];
  if (r() < 0.5) headers.push(`x-stemsight-token: ${r() < 0.7 ? server.token : 'nope'}`);
  if (r() < 0.5) headers.push(`Origin: ${r() < 0.7 ? server.origin : 'null'}`);
  if (r() < 0.2) headers.push('Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
  if (r() < 0.2) headers.push(`Range: bytes=${Math.floor(r() * 400) - 50}-${pick(['', '10', 'x', '-1'])}`);
  let body = '';
  if (method === 'POST' && r() < 0.7) {
    body = pick(['{}', '{', '[]', 'null', '{"a":'.repeat(50), '"x"', '\u0000']);
    headers.push(`Content-Type: ${pick(['application/json', 'text/plain'])}`, `Content-Length: ${Buffer.byteLength(body)}`);
  }
  return `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

function send(raw: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(raw));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

describe('web transport request fuzz', () => {
  it(`answers ${REQUESTS} random malformed requests without a 5xx and keeps serving`, async () => {
    const r = rng(16);
    const statuses = new Map<string, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const raw = randomRequest(r);
      const line = await send(raw);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(line)?.[1] ?? (line === '' ? 'closed' : 'other');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status, raw).not.toMatch(/^5/);
    }
    // Still alive and still strict.
    expect((await fetch(`${server.origin}/media/7`, { headers: { 'x-stemsight-token': server.token } })).status).toBe(200);
    expect((await fetch(`${server.origin}/media/7`)).status).toBe(401);
    expect(statuses.get('400') ?? 0).toBeGreaterThan(0);
  });
});
