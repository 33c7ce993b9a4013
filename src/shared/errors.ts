/**
 * The one error scheme of Stemsight. Every failure a person can act on is an AppError: a stable
 * code programs branch on, a message written for the user (one sentence: what happened, what to
 * do) and an optional technical detail for logs and bug reports. Cancellation is always Cancelled.
 * Anything else is a bug; errorInfo turns it into an 'internal' error once, where it is answered.
 * Errors cross threads as plain data (toWire, fromWire) and transports as {code, message}.
 */
export const ERROR_CODES = [
  'bad_request', // the input failed validation (a payload, a command-line option, a value out of range)
  'forbidden', // token, origin, sender or path checks refused the call
  'not_found', // the project/media/file asked for does not exist (any more)
  'unsupported', // valid call, but this transport, platform or file version cannot do it
  'media_error', // a media or audio file could not be read or written
  'model_error', // the model files are missing, damaged or could not run
  'io_error', // the disk or the data folder refused: full, no permission, in use
  'cancelled', // the user or a newer request cancelled the work
  'internal', // a bug: logged with its stack, shown as one line
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  /** For the user. */
  message: string;
  /** For logs and bug reports; never shown as the message. */
  detail?: string;
}

// A brand instead of instanceof: a bundled job module may carry its own copy of this file.
const BRAND = Symbol.for('stemsight.AppError');

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (detail !== undefined) this.detail = detail;
  }
}

/** The work was cancelled (by the user, a newer request, or shutting down): not a failure. */
export class Cancelled extends AppError {
  constructor(detail?: string) {
    super('cancelled', 'Cancelled.', detail);
    this.name = 'Cancelled';
  }
}

export function isAppError(err: unknown): err is AppError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

export function isCancelled(err: unknown): boolean {
  return isAppError(err) && err.code === 'cancelled';
}

export const DISK_FULL_MESSAGE = 'The disk is full; free some space (or write to another drive) and run it again.';

/** An AppError as it is; a full disk or a refused write as io_error; null for anything else (a bug). */
function asAppError(err: unknown): AppError | null {
  if (isAppError(err)) return err;
  // Node's system errors carry their errno name in `code`.
  const code = (err as { code?: unknown } | null | undefined)?.code;
  const text = err instanceof Error ? err.message : undefined;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('io_error', DISK_FULL_MESSAGE, text);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new AppError('io_error', 'Stemsight may not write there; choose another folder or check its permissions.', text);
  }
  return null;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The first line of an error's message, at most 160 characters: what a bug report shows the user. */
export function firstLine(err: unknown): string {
  const line = messageOf(err).split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/**
 * What to report for any thrown value: an AppError as it is, a full disk or a refused write as
 * io_error, anything else as internal, with `context` naming the work that failed.
 */
export function errorInfo(err: unknown, context = 'Stemsight'): ErrorInfo {
  const app = asAppError(err);
  if (app) return { code: app.code, message: app.message, ...(app.detail !== undefined ? { detail: app.detail } : {}) };
  return { code: 'internal', message: `${context} failed unexpectedly (${firstLine(err)}). Try again; if it keeps failing, report it with the details.`, detail: stackOf(err) };
}

/**
 * An error as plain data, to cross a thread (structured clone drops the class): an AppError's
 * code, message and detail; a bug's own message as 'internal'. The detail ends with the stack.
 */
export function toWire(err: unknown): Required<ErrorInfo> {
  const app = asAppError(err);
  const detail = [app?.detail ?? '', stackOf(err)].filter(Boolean).join('\n');
  return app ? { code: app.code, message: app.message, detail } : { code: 'internal', message: messageOf(err), detail };
}

/** The error toWire sent, thrown again on this side: Cancelled, an AppError, or still a bug (a plain Error). */
export function fromWire(info: ErrorInfo): Error {
  if (info.code === 'cancelled') return new Cancelled(info.detail);
  if (info.code !== 'internal') return new AppError(info.code, info.message, info.detail);
  const bug = new Error(info.message);
  if (info.detail) bug.stack = info.detail;
  return bug;
}
