import { AppError } from '../../../shared/errors';

/** Model failures: code 'model_error', a reason for programs and one line for people (what happened, what to do). */
export type ModelErrorCode = 'MISSING' | 'CORRUPT' | 'INVALID_CARD' | 'RUNTIME' | 'PARITY';

export class ModelError extends AppError {
  override name = 'ModelError';
  constructor(
    readonly reason: ModelErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super('model_error', message, file);
  }
}

export function isModelError(err: unknown, reason?: ModelErrorCode): err is ModelError {
  return err instanceof ModelError && (reason === undefined || err.reason === reason);
}

/** What to do about a broken model folder, depending on whether it is the shipped one. */
export const FIX_HINT = 'reinstall Stemsight, or re-export the model with `python3 -m training.export --out <model dir>`';
