/**
 * The preload: exposes the contract's channels to the sandboxed renderer through contextBridge.
 * No logic here: main validates every payload; this only refuses names outside the whitelist so
 * the page can never reach any other IPC channel.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import {
  EVENT_NAMES,
  IPC_EVENT_CHANNEL,
  REQUEST_NAMES,
  ipcChannel,
  type EventName,
  type PreloadBridge,
  type RequestName,
} from '../shared/channels';

const requestNames = new Set<string>(REQUEST_NAMES);
const eventNames = new Set<string>(EVENT_NAMES);

const bridge: PreloadBridge = {
  invoke(name: RequestName, payload: unknown) {
    if (!requestNames.has(name)) return Promise.reject(new Error(`Unknown request ${String(name)}`));
    return ipcRenderer.invoke(ipcChannel(name), payload);
  },
  onEvent(listener) {
    const wrapped = (_event: Electron.IpcRendererEvent, msg: { name: EventName; payload: unknown }) => {
      if (msg && eventNames.has(msg.name)) listener(msg.name, msg.payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
    };
  },
  pathForFile(file: File) {
    return webUtils.getPathForFile(file);
  },
};

contextBridge.exposeInMainWorld('stemsight', bridge);
