/** sources.add / rename / move / remove: the clicked objects, each one source to separate. */
import type { EditorState } from '../../shared/contract';
import type { EditorStore } from './ports';
import type { ProjectState } from './state';

export function createSourcesService(store: EditorStore, view: ProjectState) {
  return {
    async add(projectId: number, x: number, y: number, timeSec: number): Promise<EditorState> {
      const m = store.media(projectId);
      store.addSource({ projectId, mediaId: m.id, x, y, timeSec });
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
    async remove(projectId: number, sourceId: number): Promise<EditorState> {
      store.removeSource(projectId, sourceId);
      return view.state(projectId);
    },
  };
}

export type SourcesService = ReturnType<typeof createSourcesService>;
