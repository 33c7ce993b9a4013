/**
 * Two privileged custom protocols instead of file:// so that the renderer has a real origin (for
 * the CSP and the IPC sender check) and never sees a file path:
 *   stemsight://app/...            the built renderer, only files inside its folder
 *   stemsight-media://media/<id>   a media file by database id, with Range for seeking
 */
import { protocol, type Session } from 'electron';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Api } from '../api';
import { APP_SCHEME, MEDIA_SCHEME } from '../../shared/channels';
import { mediaContentType, parseRange } from '../transport/range';

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true } },
  ]);
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export function handleProtocols(session: Session, opts: { api: Api; rendererDir: string; csp: string }): void {
  const root = path.resolve(opts.rendererDir);

  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return new Response('Not found', { status: 404 });
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return new Response('Not found', { status: 404 });
    try {
      const data = await fsp.readFile(file);
      return new Response(new Uint8Array(data), {
        headers: {
          'Content-Type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': opts.csp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });

  session.protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    const idText = url.pathname.replace(/^\/+/, '');
    // media/<id>: the project's media file; audio/<key>: a stem or the decoded original (WAV).
    const ok = url.host === 'media' ? /^[1-9]\d{0,15}$/.test(idText) : url.host === 'audio' && /^(stem|original)-[1-9]\d{0,15}$/.test(idText);
    if (!ok) return new Response('Not found', { status: 404 });
    const file = url.host === 'media' ? await opts.api.mediaFile(Number(idText)) : ((await opts.api.audioFile?.(idText)) ?? null);
    if (!file) return new Response('Not found', { status: 404 });
    const { size } = await fsp.stat(file);
    const range = parseRange(request.headers.get('range'), size);
    const headers: Record<string, string> = { 'Accept-Ranges': 'bytes', 'Content-Type': mediaContentType(file) };
    if (range === 'unsatisfiable') {
      return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
    }
    const { start, end } = range ?? { start: 0, end: Math.max(0, size - 1) };
    headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    const body = size === 0 ? null : (Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream<Uint8Array>);
    return new Response(body, { status: range ? 206 : 200, headers });
  });
}
