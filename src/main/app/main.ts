/**
 * Electron lifecycle: register the protocols, open the library database with the Electron-ABI
 * SQLite binding, wire the API to IPC and start the window. Everything else lives in the engine.
 */
import { app, BrowserWindow, dialog, session, type WebContents } from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { APP_ORIGIN, AUDIO_ORIGIN, MEDIA_ORIGIN } from '../../shared/channels';
import { MEDIA_EXTENSIONS } from '../../shared/contract';
import { createServices, type Services } from '../services';
import { DataFolderInUseError } from '../data-lock';
import { registerIpc } from '../transport/ipc';
import { contentSecurityPolicy } from '../transport/csp';
import { buildMenu } from './menu';
import { handleProtocols, registerSchemes } from './protocols';
import { createMainWindow, hardenSession } from './window';

// The folder holding package.json (`electron .`); bundling may move this code into a chunk, so
// paths are never taken relative to this module.
const appRoot = () => app.getAppPath();

/** The Electron-ABI build made by scripts/postinstall.mjs (better-sqlite3 from npm is Node-ABI). */
function electronSqliteBinding(): string | undefined {
  const file = path.join(appRoot(), 'build', 'electron-native', 'better_sqlite3.node');
  return existsSync(file) ? file : undefined;
}

export function runElectronApp(): void {
  registerSchemes();
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let services: Services | null = null;
  let win: BrowserWindow | null = null;
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  const trustedOrigins = [APP_ORIGIN, ...(devUrl ? [new URL(devUrl).origin] : [])];

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => {
    // Belt and braces for any contents we did not create ourselves.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.whenReady().then(async () => {
    const ses = session.defaultSession;
    hardenSession(ses);
    try {
      services = await createServices({
        dataDir: app.getPath('userData'),
        transport: 'ipc',
        nativeBinding: electronSqliteBinding(),
        showOpenDialog: async () => {
          const options: Electron.OpenDialogOptions = {
            title: 'Open media',
            properties: ['openFile'],
            filters: [{ name: 'Video and audio', extensions: [...MEDIA_EXTENSIONS] }],
          };
          const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
        showFolderDialog: async (suggested) => {
          const options: Electron.OpenDialogOptions = {
            title: 'Export into folder',
            defaultPath: suggested ?? undefined,
            properties: ['openDirectory', 'createDirectory'],
          };
          const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
      });
    } catch (err) {
      if (err instanceof DataFolderInUseError) {
        dialog.showErrorBox('Stemsight is already running', err.message);
        app.quit();
        return;
      }
      dialog.showErrorBox(
        'Stemsight could not open its database',
        `${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n\nRun "npm install" again so the Electron build of SQLite is made.`,
      );
      app.quit();
      return;
    }
    const api = services.api;
    const csp = contentSecurityPolicy({ mediaSources: [MEDIA_ORIGIN, AUDIO_ORIGIN], connectSources: [AUDIO_ORIGIN, ...(devUrl ? [devUrl.replace(/^http/, 'ws')] : [])] });
    handleProtocols(ses, { api, rendererDir: path.join(appRoot(), 'out', 'renderer'), csp });
    if (devUrl) {
      // The dev server's pages get the same CSP through response headers.
      ses.webRequest.onHeadersReceived({ urls: [`${new URL(devUrl).origin}/*`] }, (details, callback) => {
        callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
      });
    }

    const ours = new Set<number>();
    registerIpc({
      api,
      trustedOrigins,
      isOurWindow: (contents: WebContents) => ours.has(contents.id),
      log: (line) => console.warn(line),
    });
    await buildMenu(api, (message) => dialog.showErrorBox('Stemsight', message));

    const open = () => {
      win = createMainWindow({
        startUrl: devUrl ?? `${APP_ORIGIN}/index.html`,
        preloadPath: path.join(appRoot(), 'out', 'preload', 'index.cjs'),
        trustedOrigins,
      });
      const id = win.webContents.id;
      ours.add(id);
      win.on('closed', () => {
        ours.delete(id);
        win = null;
      });
    };
    open();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) open();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void services?.close());
}
