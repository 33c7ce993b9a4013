/** Model failures: a code for programs and one line for people (what happened, what to do). */
export type ModelErrorCode = 'MISSING' | 'CORRUPT' | 'INVALID_CARD' | 'RUNTIME' | 'PARITY';

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

export function isModelError(err: unknown, code?: ModelErrorCode): err is ModelError {
  return (err instanceof ModelError || (err as Error | undefined)?.name === 'ModelError') && (code === undefined || (err as ModelError).code === code);
}

/** What to do about a broken model folder, depending on whether it is the shipped one. */
export const FIX_HINT = 'reinstall Stemsight, or re-export the model with `python3 -m training.export --out <model dir>`';
