/**
 * The envelope every request answers with, on every transport. Errors carry a stable code the
 * renderer can branch on and one plain sentence for the user (never a stack trace).
 */
export const ERROR_CODES = [
  'bad_request', // the payload failed validation or named an unknown channel
  'forbidden', // token, origin, sender or path checks refused the call
  'not_found', // the project/media/file asked for does not exist (any more)
  'unsupported', // valid call, but this transport or platform cannot do it
  'media_error', // ffmpeg could not read the file
  'cancelled', // the user or a newer request cancelled the work
  'internal', // a bug: logged in main with its stack, shown as one line
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };

export function ok<T>(result: T): Result<T> {
  return { ok: true, result };
}

export function fail(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** Thrown by main-side code to answer with a specific code; the dispatcher turns it into a Result. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}
