/** Media failures carry a code for programs and a one-line message for people. */
export type MediaErrorCode =
  | 'NOT_FOUND'
  | 'NOT_A_FILE'
  | 'UNREADABLE'
  | 'NOT_MEDIA'
  | 'TRUNCATED'
  | 'DAMAGED'
  | 'NO_AUDIO'
  | 'NO_VIDEO'
  | 'UNSUPPORTED'
  | 'DECODE_FAILED'
  | 'FFMPEG_MISSING'
  | 'CANCELLED'
  | 'BAD_ARGUMENT';

export class MediaError extends Error {
  override name = 'MediaError';
  readonly code: MediaErrorCode;
  readonly path?: string;

  constructor(code: MediaErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

export function isMediaError(err: unknown, code?: MediaErrorCode): err is MediaError {
  return err instanceof MediaError && (code === undefined || err.code === code);
}
