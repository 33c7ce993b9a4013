/**
 * The envelope every request answers with, on every transport. Errors carry a stable code the
 * renderer can branch on and one plain sentence for the user (never a stack trace); the codes
 * and the error classes are in errors.ts.
 */
import type { ErrorCode } from './errors';

export { ERROR_CODES, type ErrorCode } from './errors';

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
