/**
 * The one application window, locked down: isolated and sandboxed renderer without Node, web
 * security on, no navigation away from the app, no new windows, no permissions granted.
 */
import { BrowserWindow, type Session } from 'electron';
import path from 'node:path';

export interface WindowOptions {
  /** Where the renderer lives: stemsight://app/index.html, or the dev server in `npm run dev`. */
  startUrl: string;
  preloadPath: string;
  trustedOrigins: string[];
}

export function hardenSession(session: Session): void {
  // The app needs no camera, microphone, notifications, etc.
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 880,
    minWidth: 1024,
    minHeight: 640,
    backgroundColor: '#0f1115',
    title: 'Stemsight',
    show: false,
    webPreferences: {
      preload: path.resolve(opts.preloadPath),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });

  const trusted = (url: string): boolean => {
    try {
      const u = new URL(url);
      const origin = u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
      return opts.trustedOrigins.includes(origin);
    } catch {
      return false;
    }
  };

  win.webContents.on('will-navigate', (event, url) => {
    if (!trusted(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!trusted(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  // No new windows, and no URL from the page is handed to the operating system (shell.openExternal
  // would run whatever handler the system has for it); the renderer has no external links.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(opts.startUrl);
  return win;
}
