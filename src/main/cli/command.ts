import type { OptionSpecs, Parsed } from './args';

/** Where a command writes; tests and the bin pass process streams. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * One subcommand, in its own file under cli/commands/. Adding a command = one file plus one line
 * in registry.ts.
 */
export interface Command {
  name: string;
  /** One line for `stemsight --help`. */
  summary: string;
  /** Usage line(s) after "stemsight ", e.g. "probe <media>". */
  usage: string;
  /** Extra help text shown after the options. */
  details?: string;
  options: OptionSpecs;
  run(args: Parsed, io: CliIO): Promise<number>;
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, io.stdout.isTTY ? 2 : undefined) + '\n');
}
