/**
 * sources.add / addByName / setClass / rename / move / strength / moveRange / remove: the sources to separate, each asked
 * for by a click on the video, a class name, or both.
 */
import type { EditorState } from '../../shared/contract';
import type { EditorStore } from './ports';
import type { ProjectState } from './state';

export function createSourcesService(store: EditorStore, view: ProjectState) {
  return {
    async add(projectId: number, x: number, y: number, timeSec: number, className?: string): Promise<EditorState> {
      const m = store.media(projectId);
      store.addSource({ projectId, mediaId: m.id, x, y, timeSec, className });
      return view.state(projectId);
    },
    async addByName(projectId: number, className: string): Promise<EditorState> {
      const m = store.media(projectId);
      store.addSource({ projectId, mediaId: m.id, className });
      return view.state(projectId);
    },
    async setClass(projectId: number, sourceId: number, className: string | null): Promise<EditorState> {
      store.setSourceClass(projectId, sourceId, className);
      return view.state(projectId);
    },
    async rename(projectId: number, sourceId: number, name: string): Promise<EditorState> {
      store.renameSource(projectId, sourceId, name);
      return view.state(projectId);
    },
    async move(projectId: number, sourceId: number, to: { x: number; y: number; timeSec: number }): Promise<EditorState> {
      store.moveSource(projectId, sourceId, to);
      return view.state(projectId);
    },
    async strength(projectId: number, sourceId: number, strength: number): Promise<EditorState> {
      store.setSourceStrength(projectId, sourceId, strength);
      return view.state(projectId);
    },
    async moveRange(projectId: number, sourceId: number, range: { startSec: number; endSec: number; to: number | null }): Promise<EditorState> {
      store.moveStemRange(projectId, sourceId, range);
      return view.state(projectId);
    },
    async remove(projectId: number, sourceId: number): Promise<EditorState> {
      store.removeSource(projectId, sourceId);
      return view.state(projectId);
    },
  };
}

export type SourcesService = ReturnType<typeof createSourcesService>;
