/**
 * The Electron transport: one ipcMain.handle per contract request on namespaced channels. Each
 * call is accepted only from the top frame of a window we created, showing our own app origin;
 * the payload is then validated by api.dispatch like any other.
 */
import { ipcMain, webContents as allWebContents, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { Api } from '../api';
import { IPC_EVENT_CHANNEL, REQUEST_NAMES, ipcChannel } from '../../shared/contract';
import { fail } from '../../shared/result';

export interface IpcOptions {
  api: Api;
  /** Origins the renderer may be served from (the app protocol; the dev server in `npm run dev`). */
  trustedOrigins: string[];
  /** WebContents ids of our windows (checked on every call). */
  isOurWindow: (contents: WebContents) => boolean;
  log?: (line: string) => void;
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    // Custom schemes report origin "null"; rebuild it from protocol + host.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function registerIpc(opts: IpcOptions): () => void {
  const log = opts.log ?? (() => undefined);

  function senderOk(event: IpcMainInvokeEvent): boolean {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false; // top frame only, never an iframe
    if (!opts.isOurWindow(event.sender)) return false;
    const origin = originOf(frame.url);
    return origin !== null && opts.trustedOrigins.includes(origin);
  }

  for (const name of REQUEST_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event, payload: unknown) => {
      if (!senderOk(event)) {
        log(`refused IPC ${name} from ${event.senderFrame?.url ?? 'unknown frame'}`);
        return fail('forbidden', 'This window may not talk to Stemsight.');
      }
      return opts.api.dispatch(name, payload);
    });
  }

  const unsubscribe = opts.api.onEvent((name, payload) => {
    for (const contents of allWebContents.getAllWebContents()) {
      if (!contents.isDestroyed() && opts.isOurWindow(contents)) {
        contents.send(IPC_EVENT_CHANNEL, { name, payload });
      }
    }
  });

  return () => {
    unsubscribe();
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(ipcChannel(name));
  };
}
