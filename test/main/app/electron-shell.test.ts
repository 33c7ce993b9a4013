/**
 * The Electron shell without Electron: `electron` is replaced by a recording fake, so the window's
 * security settings, the IPC sender checks and the two protocols are tested in plain Node.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Api } from '../../../src/main/api';
import { ok } from '../../../src/shared/result';

const fake = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const protocols = new Map<string, (req: Request) => Promise<Response>>();
  const windows: { options: Record<string, any>; events: Map<string, (...a: any[]) => void>; openHandler?: (d: { url: string }) => unknown; url?: string }[] = [];
  return { handlers, protocols, windows };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: any;
    constructor(options: Record<string, any>) {
      const record: (typeof fake.windows)[number] = { options, events: new Map() };
      fake.windows.push(record);
      this.webContents = {
        id: fake.windows.length,
        on: (name: string, fn: (...a: any[]) => void) => record.events.set(name, fn),
        setWindowOpenHandler: (fn: (d: { url: string }) => unknown) => (record.openHandler = fn),
      };
      (this as any).loadURL = async (url: string) => (record.url = url);
    }
    once() {}
    on() {}
  }
  return {
    BrowserWindow,
    shell: { openExternal: vi.fn() },
    ipcMain: {
      handle: (ch: string, fn: (e: unknown, p: unknown) => Promise<unknown>) => fake.handlers.set(ch, fn),
      removeHandler: (ch: string) => fake.handlers.delete(ch),
    },
    webContents: { getAllWebContents: () => [] },
    protocol: { registerSchemesAsPrivileged: vi.fn() },
  };
});

const { createMainWindow, hardenSession } = await import('../../../src/main/app/window');
const electron = await import('electron');
const { registerIpc } = await import('../../../src/main/transport/ipc');
const { handleProtocols } = await import('../../../src/main/app/protocols');

// Created at load time: the describe blocks below register handlers against it immediately.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-shell-'));
const bytes = Buffer.from(Array.from({ length: 500 }, (_, i) => i % 251));
const calls: unknown[] = [];
const api: Api = {
  dispatch: async (name, payload) => {
    calls.push([name, payload]);
    return name === 'app.info' ? ok({ fine: true }) : { ok: false, error: { code: 'bad_request', message: 'x' } };
  },
  call: async () => undefined as never,
  mediaFile: async (id) => (id === 3 ? path.join(tmp, 'clip.mp4') : null),
  emit: () => undefined,
  onEvent: () => () => undefined,
};

beforeAll(() => {
  mkdirSync(path.join(tmp, 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html>');
  writeFileSync(path.join(tmp, 'renderer', 'assets', 'a.js'), 'x');
  writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
  writeFileSync(path.join(tmp, 'clip.mp4'), bytes);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('main window', () => {
  it('is isolated, sandboxed, without Node, with web security, and cannot navigate away', () => {
    createMainWindow({ startUrl: 'stemsight://app/index.html', preloadPath: '/x/preload.cjs', trustedOrigins: ['stemsight://app'] });
    const w = fake.windows.at(-1)!;
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(w.url).toBe('stemsight://app/index.html');
    const nav = (url: string) => {
      const event = { preventDefault: vi.fn() };
      w.events.get('will-navigate')!(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://example.com/')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('stemsight://app/index.html')).toBe(false);
    expect(w.openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(w.openHandler!({ url: 'stemsight://app/index.html' })).toEqual({ action: 'deny' });
  });
});

describe('main window, continued', () => {
  it('never hands a URL to the operating system', () => {
    createMainWindow({ startUrl: 'stemsight://app/index.html', preloadPath: '/x/preload.cjs', trustedOrigins: ['stemsight://app'] });
    const w = fake.windows.at(-1)!;
    for (const url of ['https://example.com/', 'mailto:a@b.c', 'file:///etc/passwd', 'smb://host/share']) {
      expect(w.openHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });

  it('denies every permission request and check', () => {
    let request: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined;
    let check: ((...a: unknown[]) => boolean) | undefined;
    hardenSession({
      setPermissionRequestHandler: (fn: typeof request) => (request = fn),
      setPermissionCheckHandler: (fn: typeof check) => (check = fn),
    } as never);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      request!({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(check!({}, permission, 'stemsight://app')).toBe(false);
    }
  });
});

describe('IPC transport', () => {
  const ours = new Set([1]);
  registerIpc({ api, trustedOrigins: ['stemsight://app'], isOurWindow: (c) => ours.has(c.id) });
  const invoke = (frame: { url: string; parent: unknown } | null, senderId = 1, payload: unknown = {}) =>
    fake.handlers.get('stemsight:app.info')!({ sender: { id: senderId }, senderFrame: frame }, payload);

  it('registers one namespaced channel per contract request', () => {
    expect([...fake.handlers.keys()].every((c) => c.startsWith('stemsight:'))).toBe(true);
    expect(fake.handlers.has('stemsight:media.open')).toBe(true);
  });

  it('answers only the top frame of our window on the app origin', async () => {
    calls.length = 0;
    expect(await invoke({ url: 'stemsight://app/index.html', parent: null })).toEqual({ ok: true, result: { fine: true } });
    const refused = { ok: false, error: { code: 'forbidden', message: expect.any(String) } };
    expect(await invoke({ url: 'https://evil.example/', parent: null })).toMatchObject(refused);
    expect(await invoke({ url: 'stemsight://app/index.html', parent: {} })).toMatchObject(refused);
    expect(await invoke({ url: 'stemsight://app/index.html', parent: null }, 2)).toMatchObject(refused);
    expect(await invoke(null)).toMatchObject(refused);
    expect(calls).toHaveLength(1); // refused calls never reach the API
  });
});

describe('protocols', () => {
  const session = { protocol: { handle: (scheme: string, fn: (req: Request) => Promise<Response>) => fake.protocols.set(scheme, fn) } };
  handleProtocols(session as never, { api, rendererDir: path.join(tmp, 'renderer'), csp: "default-src 'none'" });
  const app = (url: string) => fake.protocols.get('stemsight')!(new Request(url));
  const media = (url: string, headers: Record<string, string> = {}) => fake.protocols.get('stemsight-media')!(new Request(url, { headers }));

  it('serves the renderer with the CSP header and nothing outside it', async () => {
    const index = await app('stemsight://app/index.html');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect((await app('stemsight://app/assets/a.js')).headers.get('content-type')).toContain('javascript');
    expect((await app('stemsight://app/..%2fsecret.txt')).status).toBe(404);
    expect((await app('stemsight://app/assets/..%2f..%2fsecret.txt')).status).toBe(404);
    expect((await app('stemsight://other/index.html')).status).toBe(404);
  });

  it('serves media by id only, with ranges', async () => {
    const whole = await media('stemsight-media://media/3');
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);
    const part = await media('stemsight-media://media/3', { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/500');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    expect((await media('stemsight-media://media/4')).status).toBe(404);
    expect((await media('stemsight-media://media/..%2fclip.mp4')).status).toBe(404);
    expect((await media(`stemsight-media://media/${encodeURIComponent(path.join(tmp, 'clip.mp4'))}`)).status).toBe(404);
  });
});
