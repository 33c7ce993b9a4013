/**
 * media.audio, stems.peaks and stems.spectrogram, and the files behind audio keys for the media protocol / HTTP
 * route: the original audio decoded once to a float WAV in the cache (seekable by byte range)
 * and the stems' own WAVs.
 */
import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { EditorEngine, EditorStore } from './ports';
import { missingMedia } from './state';

interface Decoded {
  file: string;
  sampleRate: number;
  channels: number;
}

const STEM_PEAKS_PER_SECOND = 100;

export function createPlaybackService(store: EditorStore, engine: EditorEngine, cacheDir: string) {
  const decoded = new Map<number, Promise<Decoded>>(); // mediaId -> decoded original

  function originalWav(projectId: number): Promise<Decoded> {
    const m = store.media(projectId);
    let p = decoded.get(m.id);
    if (!p) {
      p = (async () => {
        if (!(await engine.isFile(m.path))) throw missingMedia(m.path);
        const file = path.join(cacheDir, 'original', `${m.id}-${m.quickHash.slice(0, 16)}.wav`);
        const sampleRate = m.facts.sampleRate || 48000;
        const channels = Math.min(2, m.facts.channels || 2);
        if (!(await engine.isFile(file))) await engine.decodeToWav(m.path, file, { sampleRate, channels });
        return { file, sampleRate, channels };
      })();
      p.catch(() => decoded.delete(m.id));
      decoded.set(m.id, p);
    }
    return p;
  }

  async function mediaAudio(projectId: number) {
    const m = store.media(projectId);
    const r = await originalWav(projectId);
    return { audioKey: `original-${m.id}`, sampleRate: r.sampleRate, channels: r.channels };
  }

  /** File behind an audio key, or null. Stems must be in the library; originals decoded here. */
  async function audioFile(key: string): Promise<string | null> {
    const match = /^(stem|original)-([1-9]\d{0,15})$/.exec(key);
    if (!match) return null;
    const id = Number(match[2]);
    if (match[1] === 'stem') return store.stem(id)?.path ?? null;
    const p = decoded.get(id);
    if (!p) return null;
    try {
      return (await p).file;
    } catch {
      return null;
    }
  }

  async function stemPeaks(projectId: number, stemId: number) {
    const stem = store.stem(stemId);
    if (!stem) throw new AppError('not_found', 'That stem no longer exists; reload the project.');
    if (stem.projectId !== projectId) throw new AppError('forbidden', 'That stem belongs to another project.');
    const p = await engine.peaks(stem.path, STEM_PEAKS_PER_SECOND);
    const abs: number[] = new Array(p.length);
    for (let i = 0; i < p.length; i++) abs[i] = Math.round(Math.min(1, Math.max(Math.abs(p.data[2 * i]), Math.abs(p.data[2 * i + 1]))) * 1e4) / 1e4;
    return { mediaId: stem.mediaId, peaksPerSecond: p.peaksPerSecond, durationSec: p.durationSec, channels: [abs] };
  }

  /** Spectrogram of one of this project's tracks; the original is decoded first if need be. */
  async function spectrogram(projectId: number, audioKey: string, range: { fromSec: number; spanSec: number; columns: number; rows: number }) {
    const [kind, id] = audioKey.split('-');
    let file: string;
    let startSec = 0;
    if (kind === 'stem') {
      const stem = store.stem(Number(id));
      if (!stem) throw new AppError('not_found', 'That stem no longer exists; reload the project.');
      if (stem.projectId !== projectId) throw new AppError('forbidden', 'That stem belongs to another project.');
      file = stem.path;
      startSec = stem.startFrame / stem.sampleRate;
    } else {
      if (store.media(projectId).id !== Number(id)) throw new AppError('forbidden', 'That audio belongs to another project.');
      file = (await originalWav(projectId)).file;
    }
    // Media time to file time: a preview's file starts later than 0 s.
    const img = await engine.spectrogram(file, { ...range, fromSec: range.fromSec - startSec });
    return { ...img, data: Buffer.from(img.data).toString('base64') };
  }

  return { mediaAudio, audioFile, stemPeaks, spectrogram };
}

export type PlaybackService = ReturnType<typeof createPlaybackService>;
