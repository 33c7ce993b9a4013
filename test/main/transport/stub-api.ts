import type { Api } from '../../../src/main/api';
import { ok } from '../../../src/shared/result';

/**
 * A stand-in API for transport tests (the transport's job is auth, routing and bytes, not the
 * engine): echoes requests, and serves media id 7 from the file `media()` names.
 */
export function stubApi(media: () => string): Api {
  return {
    dispatch: async (name, payload) => ok({ name, payload }),
    call: async () => {
      throw new Error('unused');
    },
    mediaFile: async (id) => (id === 7 ? media() : null),
    emit: () => undefined,
    onEvent: () => () => undefined,
  };
}
