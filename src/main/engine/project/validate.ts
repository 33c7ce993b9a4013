import { AppError } from '../../../shared/errors';

/** Input checks with messages a caller can show; the schema's CHECKs are the last line of defence. */
export class InvalidInputError extends AppError {
  constructor(message: string) {
    super('bad_request', message);
    this.name = 'InvalidInputError';
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvalidInputError(message);
}

export function checkUnit(value: number, what: string): void {
  check(Number.isFinite(value) && value >= 0 && value <= 1, `${what} must be between 0 and 1 (got ${value})`);
}

export function checkName(name: string, what: string): string {
  const trimmed = name.trim();
  check(trimmed.length >= 1 && trimmed.length <= 200, `${what} must be 1 to 200 characters`);
  return trimmed;
}
