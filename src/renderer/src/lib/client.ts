/**
 * The renderer's only door to main. Picks the transport once: the preload's window.stemsight in
 * Electron, otherwise the loopback web server (token from the page URL). Both speak the contract
 * in src/shared and answer with Results; `call` turns a failed Result into an AppError (src/shared/errors.ts).
 */
import {
  TOKEN_HEADER,
  TOKEN_PARAM,
  WEB_API_PREFIX,
  WEB_EVENTS_PATH,
  WEB_MEDIA_PREFIX,
  WEB_AUDIO_PREFIX,
  MEDIA_ORIGIN,
  AUDIO_ORIGIN,
  type EventName,
  type PreloadBridge,
  type RequestName,
} from '../../../shared/channels';
import type { EventPayload, RequestInput, RequestOutput } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { Result } from '../../../shared/result';

declare global {
  interface Window {
    stemsight?: PreloadBridge;
  }
}

type AnyListener = (name: EventName, payload: unknown) => void;

export interface Client {
  readonly transport: 'ipc' | 'web';
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void;
  /** URL the <video> element plays a media id from. */
  mediaUrl(mediaId: number): string;
  /** Bytes first..last (inclusive) of the audio file behind a key, and its total size; null when refused. */
  readAudio(key: string, first: number, last: number): Promise<AudioBytes | null>;
  /** Path of a dropped file where the platform exposes it (desktop app), else null. */
  pathForFile(file: File): string | null;
  /** Told whenever the link to main goes down or comes back (the web server can stop). */
  onConnection(listener: (up: boolean) => void): () => void;
}

/** Connection state with listeners; a change is announced once. */
function linkState() {
  const listeners = new Set<(up: boolean) => void>();
  let up = true;
  return {
    set(next: boolean) {
      if (next === up) return;
      up = next;
      for (const l of listeners) l(up);
    },
    on(listener: (up: boolean) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export interface AudioBytes {
  bytes: ArrayBuffer;
  /** Size of the whole file in bytes. */
  total: number;
}

/** A byte range of an audio URL; both transports serve audio by key with Range support. */
async function readRange(url: string, first: number, last: number, headers: Record<string, string> = {}): Promise<AudioBytes | null> {
  const res = await fetch(url, { headers: { ...headers, Range: `bytes=${first}-${last}` } });
  if (!res.ok) return null;
  const total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? res.headers.get('content-length') ?? 0);
  return { bytes: await res.arrayBuffer(), total };
}

function unwrap<T>(r: Result<T>): T {
  if (r && typeof r === 'object' && 'ok' in r) {
    if (r.ok) return r.result;
    throw new AppError(r.error.code, r.error.message);
  }
  throw new AppError('internal', 'Main answered with something that is not a Result.');
}

function fanOut() {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  return {
    dispatch: ((name, payload) => {
      for (const l of listeners.get(name) ?? []) l(payload);
    }) as AnyListener,
    on(name: EventName, listener: (payload: unknown) => void): () => void {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}

function ipcClient(bridge: PreloadBridge): Client {
  const events = fanOut();
  bridge.onEvent(events.dispatch);
  return {
    transport: 'ipc',
    async call(name, input) {
      return unwrap((await bridge.invoke(name, input)) as Result<never>);
    },
    on: (name, listener) => events.on(name, listener as (p: unknown) => void),
    mediaUrl: (mediaId) => `${MEDIA_ORIGIN}/${mediaId}`,
    readAudio: (key, first, last) => readRange(`${AUDIO_ORIGIN}/${key}`, first, last),
    pathForFile: (file) => bridge.pathForFile(file) || null,
    onConnection: () => () => undefined, // main and the window live and die together
  };
}

function webClient(): Client {
  const url = new URL(window.location.href);
  const fromHash = new URLSearchParams(url.hash.slice(1)).get(TOKEN_PARAM);
  const token = url.searchParams.get(TOKEN_PARAM) ?? fromHash ?? sessionStorage.getItem('stemsight-token') ?? '';
  // Keep the token for reloads of this tab, but take it out of the address bar and history.
  if (token) {
    sessionStorage.setItem('stemsight-token', token);
    url.searchParams.delete(TOKEN_PARAM);
    url.hash = '';
    history.replaceState(null, '', url.pathname + url.search);
  }
  const events = fanOut();
  const link = linkState();

  let retry = 500;
  const connect = () => {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WEB_EVENTS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
    const ws = new WebSocket(wsUrl);
    ws.onopen = () => {
      retry = 500;
      link.set(true);
    };
    ws.onmessage = (e) => {
      try {
        const msg = JSON.parse(String(e.data)) as { name: EventName; payload: unknown };
        events.dispatch(msg.name, msg.payload);
      } catch {
        // ignore malformed frames
      }
    };
    ws.onclose = () => {
      link.set(false);
      // Reconnect with backoff: the server may be started again.
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  connect();

  return {
    transport: 'web',
    async call(name, input) {
      let res: Response;
      try {
        res = await fetch(`${WEB_API_PREFIX}${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
      } catch {
        link.set(false);
        throw new AppError('internal', 'Lost the connection to Stemsight. Is it still running?');
      }
      if (res.status === 401 || res.status === 403) {
        throw new AppError('forbidden', 'Access refused: open Stemsight with the address printed in its terminal.');
      }
      if (!res.ok && res.headers.get('content-type')?.includes('application/json') !== true) {
        throw new AppError('internal', `Stemsight answered ${res.status}.`);
      }
      return unwrap((await res.json()) as Result<never>);
    },
    on: (name, listener) => events.on(name, listener as (p: unknown) => void),
    // The <video> element cannot send a header, so its URL carries the token (only ever requested
    // from this origin: no cookie, no Referer to leak it elsewhere); audio reads send the header.
    mediaUrl: (mediaId) => `${WEB_MEDIA_PREFIX}${mediaId}?${TOKEN_PARAM}=${encodeURIComponent(token)}`,
    readAudio: (key, first, last) => readRange(`${WEB_AUDIO_PREFIX}${key}`, first, last, { [TOKEN_HEADER]: token }),
    pathForFile: () => null,
    onConnection: link.on,
  };
}

let instance: Client | null = null;

export function client(): Client {
  instance ??= window.stemsight ? ipcClient(window.stemsight) : webClient();
  return instance;
}
