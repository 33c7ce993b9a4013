/**
 * Names and wire constants of the contract, without the schemas, so the preload (which must stay
 * tiny and logic-free) can whitelist channels without bundling the schema library.
 * contract.ts checks at compile time that these lists match its schemas exactly.
 */
export const REQUEST_NAMES = [
  'app.info',
  'projects.recent',
  'projects.open',
  'projects.remove',
  'media.open',
  'media.openDialog',
  'media.peaks',
  'jobs.cancel',
  'files.list',
  'editor.state',
  'editor.analyze',
  'editor.heatmaps',
  'editor.detections',
  'media.scene',
  'sources.add',
  'sources.addByName',
  'sources.setClass',
  'sources.rename',
  'sources.remove',
  'sources.move',
  'sources.strength',
  'sources.moveRange',
  'separation.start',
  'mixer.set',
  'mixer.duck',
  'mixer.monitor',
  'history.undo',
  'history.redo',
  'stems.peaks',
  'mix.loudness',
  'stems.spectrogram',
  'media.audio',
  'export.settings',
  'export.chooseFolder',
  'export.start',
  'demo.open',
] as const;

export const EVENT_NAMES = ['job.progress', 'project.opened', 'menu.command', 'project.changed'] as const;

export type RequestName = (typeof REQUEST_NAMES)[number];
export type EventName = (typeof EVENT_NAMES)[number];

/** IPC channel for a request: namespaced so nothing else in Electron can collide with ours. */
export const ipcChannel = (name: RequestName): string => `stemsight:${name}`;
export const IPC_EVENT_CHANNEL = 'stemsight:event';

/** Web transport: POST /api/<name> with the JSON payload; events over /events (WebSocket). */
export const WEB_API_PREFIX = '/api/';
export const WEB_EVENTS_PATH = '/events';
export const WEB_MEDIA_PREFIX = '/media/';
/** Stems and the decoded original by key (GET with Range): /audio/stem-<id>, /audio/original-<mediaId>. */
export const WEB_AUDIO_PREFIX = '/audio/';
export const TOKEN_HEADER = 'x-stemsight-token';
export const TOKEN_PARAM = 'token';

/** Electron protocols: the app itself and media by id (stemsight-media://media/<id>). */
export const APP_SCHEME = 'stemsight';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const MEDIA_SCHEME = 'stemsight-media';
export const MEDIA_ORIGIN = `${MEDIA_SCHEME}://media`;
export const AUDIO_ORIGIN = `${MEDIA_SCHEME}://audio`;

/** What the preload puts on window.stemsight; the renderer's IPC client is built on it. */
export interface PreloadBridge {
  invoke(name: RequestName, payload: unknown): Promise<unknown>;
  /** Subscribe to main's events; returns the unsubscribe function. */
  onEvent(listener: (name: EventName, payload: unknown) => void): () => void;
  /** Path of a dropped File (Electron only); main still validates it. */
  pathForFile(file: File): string;
}
