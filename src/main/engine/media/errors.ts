import { AppError } from '../../../shared/errors';

/** Media failures: code 'media_error', a reason for programs and a one-line message for people. */
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
  | 'BAD_ARGUMENT';

export class MediaError extends AppError {
  override name = 'MediaError';
  readonly reason: MediaErrorCode;
  readonly path?: string;

  constructor(reason: MediaErrorCode, message: string, path?: string) {
    super('media_error', message, path);
    this.reason = reason;
    this.path = path;
  }
}

export function isMediaError(err: unknown, reason?: MediaErrorCode): err is MediaError {
  return err instanceof MediaError && (reason === undefined || err.reason === reason);
}
