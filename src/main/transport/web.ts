/**
 * The web transport: the same contract over loopback HTTP + WebSocket, so the renderer also runs
 * in a plain browser (tests, machines without the Electron binary).
 *
 * Every API, media, audio and event request must carry the per-run token (header, or `?token=`
 * in URLs the browser loads itself; never a cookie), the Host must be our loopback address (DNS
 * rebinding), a browser Origin must be ours (CSRF, cross-site WebSocket), and every API payload is
 * validated by api.dispatch. Media is served by database id only; the client never names a file.
 * The page shell (the public renderer bundle) needs no token.
 */
import http from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Api } from '../api';
import { TOKEN_HEADER, TOKEN_PARAM, WEB_API_PREFIX, WEB_AUDIO_PREFIX, WEB_EVENTS_PATH, WEB_MEDIA_PREFIX } from '../../shared/contract';
import { contentSecurityPolicy } from './csp';
import { mediaContentType, parseRange } from './range';

export interface WebServerOptions {
  api: Api;
  /** Built renderer (index.html + assets). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 32 random bytes; tests may pass their own. */
  token?: string;
  log?: (line: string) => void;
}

export interface WebServer {
  url: string; // includes the token; what the user opens
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY = 1 << 20;

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const rendererDir = path.resolve(opts.rendererDir);
  const log = opts.log ?? (() => undefined);
  const sockets = new Set<WebSocket>();

  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const origins = new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);
  const hosts = new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const csp = contentSecurityPolicy({
    mediaSources: [],
    connectSources: [`ws://${HOST}:${port}`, `ws://localhost:${port}`],
  });

  function tokenOk(candidate: string | null | undefined): boolean {
    if (!candidate) return false;
    const buf = Buffer.from(candidate);
    return buf.length === tokenBuf.length && timingSafeEqual(buf, tokenBuf);
  }

  /**
   * The token travels in a header (API calls) or in the query (media and audio URLs, the event
   * socket), never in a cookie: cookies ignore ports, so the browser would hand a cookie to every
   * other server on this machine's loopback address.
   */
  function requestAuthed(req: http.IncomingMessage, url: URL): boolean {
    const headerToken = req.headers[TOKEN_HEADER];
    return tokenOk(typeof headerToken === 'string' ? headerToken : null) || tokenOk(url.searchParams.get(TOKEN_PARAM));
  }

  /** Host, Origin and Fetch-Metadata checks shared by HTTP and the WebSocket handshake. */
  function originProblem(req: http.IncomingMessage, requireOrigin: boolean): string | null {
    if (!hosts.has(req.headers.host ?? '')) return 'bad host';
    const origin = req.headers.origin;
    if (origin !== undefined ? !origins.has(origin) : requireOrigin) return 'bad origin';
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site request';
    return null;
  }

  function baseHeaders(res: http.ServerResponse): void {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }

  function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
    const rel = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) return send(res, 404, 'Not found');
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch {
      return send(res, 404, 'Not found');
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  async function serveApi(req: http.IncomingMessage, res: http.ServerResponse, name: string) {
    if (req.method !== 'POST') return send(res, 405, 'Use POST');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'JSON only');
    const tooLarge = () => {
      // Stop reading the rest of the body and do not reuse this connection.
      res.setHeader('Connection', 'close');
      send(res, 413, 'Request too large');
      res.on('finish', () => req.destroy());
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return tooLarge();
      chunks.push(chunk as Buffer);
    }
    let payload: unknown;
    try {
      payload = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return send(res, 400, JSON.stringify({ ok: false, error: { code: 'bad_request', message: 'Body is not JSON.' } }), 'application/json');
    }
    const result = await opts.api.dispatch(name, payload);
    send(res, 200, JSON.stringify(result), 'application/json; charset=utf-8');
  }

  async function serveMedia(req: http.IncomingMessage, res: http.ServerResponse, idText: string, audio = false) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Use GET');
    if (!(audio ? /^(stem|original)-[1-9]\d{0,15}$/ : /^[1-9]\d{0,15}$/).test(idText)) return send(res, 404, 'Not found');
    const file = audio ? ((await opts.api.audioFile?.(idText)) ?? null) : await opts.api.mediaFile(Number(idText));
    if (!file) return send(res, 404, 'Not found');
    const { size } = await fsp.stat(file);
    const range = parseRange(req.headers.range, size);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', mediaContentType(file));
    res.setHeader('Cache-Control', 'no-cache');
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      return send(res, 416, 'Range not satisfiable');
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    res.statusCode = range ? 206 : 200;
    if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    res.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1));
    if (req.method === 'HEAD' || size === 0) return res.end();
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  }

  /**
   * The request target as a URL and its decoded path, or null when either is malformed (a raw
   * client can send targets such as `//[` or `/%E0%A4%A` that no browser would).
   */
  function parseTarget(req: http.IncomingMessage): { url: URL; path: string } | null {
    try {
      const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
      return { url, path: decodeURIComponent(url.pathname) };
    } catch {
      return null;
    }
  }

  function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    baseHeaders(res);
    const target = parseTarget(req);
    if (!target) return send(res, 400, 'Bad request target');
    const { url } = target;
    const problem = originProblem(req, req.method !== 'GET' && req.method !== 'HEAD');
    if (problem) {
      log(`refused ${req.method} ${url.pathname}: ${problem}`);
      return send(res, 403, 'Forbidden');
    }
    const p = url.pathname;
    // The page shell (index.html, scripts, styles) is the public renderer bundle and holds no data,
    // so it is served without the token: that lets a reload work with no cookie at all.
    const isData = p.startsWith(WEB_API_PREFIX) || p.startsWith(WEB_MEDIA_PREFIX) || p.startsWith(WEB_AUDIO_PREFIX);
    if (isData && !requestAuthed(req, url)) {
      log(`refused ${req.method} ${url.pathname}: no valid token`);
      return send(res, 401, 'Open Stemsight with the URL printed in the terminal (it carries the access token).');
    }
    const task = p.startsWith(WEB_API_PREFIX)
      ? serveApi(req, res, p.slice(WEB_API_PREFIX.length))
      : p.startsWith(WEB_MEDIA_PREFIX)
        ? serveMedia(req, res, p.slice(WEB_MEDIA_PREFIX.length))
        : p.startsWith(WEB_AUDIO_PREFIX)
          ? serveMedia(req, res, p.slice(WEB_AUDIO_PREFIX.length), true)
        : req.method === 'GET' || req.method === 'HEAD'
          ? serveStatic(req, res, target.path)
          : Promise.resolve(send(res, 405, 'Method not allowed'));
    task.catch((err: unknown) => failed(res, p, err));
  }

  function failed(res: http.ServerResponse, what: string, err: unknown): void {
    log(`error serving ${what}: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) send(res, 500, 'Internal error');
    else res.destroy();
  }

  server.on('request', (req, res) => {
    // Whatever a request holds, it must never take the server down.
    try {
      handleRequest(req, res);
    } catch (err) {
      failed(res, 'a request', err);
    }
  });

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    socket.on('error', () => socket.destroy());
    try {
      const target = parseTarget(req);
      if (!target) return refuse('400 Bad Request');
      const { url } = target;
      const problem = url.pathname !== WEB_EVENTS_PATH ? 'unknown path' : originProblem(req, true);
      const authed = tokenOk(url.searchParams.get(TOKEN_PARAM));
      if (problem || !authed) {
        log(`refused WebSocket: ${problem ?? 'no valid token'}`);
        return refuse(problem ? '403 Forbidden' : '401 Unauthorized');
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        // The event socket is one-way; anything the page sends is ignored.
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', () => sockets.delete(ws));
      });
    } catch (err) {
      log(`error in WebSocket handshake: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
    }
  });

  const unsubscribe = opts.api.onEvent((name, payload) => {
    const msg = JSON.stringify({ name, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  const origin = `http://${HOST}:${port}`;
  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
