/** mixer.set / duck / monitor and history.undo / redo: edits of the mix, each one undo step. */
import type { EditorState } from '../../shared/contract';
import type { EditorStore, MixerSet } from './ports';
import type { ProjectState } from './state';

export function createMixerService(store: EditorStore, view: ProjectState) {
  return {
    async set(projectId: number, channelId: number, set: MixerSet): Promise<EditorState> {
      store.setMixer(projectId, channelId, set);
      return view.state(projectId);
    },
    async duck(projectId: number, sourceId: number, duckDb: number): Promise<EditorState> {
      store.duck(projectId, sourceId, duckDb);
      return view.state(projectId);
    },
    async monitor(projectId: number, monitor: 'mix' | 'original'): Promise<EditorState> {
      store.setMonitor(projectId, monitor);
      return view.state(projectId);
    },
    async undo(projectId: number): Promise<EditorState> {
      store.undo(projectId);
      return view.state(projectId);
    },
    async redo(projectId: number): Promise<EditorState> {
      store.redo(projectId);
      return view.state(projectId);
    },
  };
}

export type MixerService = ReturnType<typeof createMixerService>;
