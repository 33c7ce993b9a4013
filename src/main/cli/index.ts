import { readFileSync } from 'node:fs';
import { formatOptions, parseArgs, UsageError } from './args';
import type { CliIO, Command } from './command';
import { allCommands, loadCommand } from './registry';
import { errorInfo, isAppError, isCancelled } from '../../shared/errors';

/**
 * Entry of the `stemsight` command. Errors become one line on stderr ("stemsight: ...") and a
 * non-zero exit: 2 for usage mistakes, 1 for everything else. STEMSIGHT_DEBUG=1 adds stacks.
 */

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function mainHelp(): Promise<string> {
  const cmds = await allCommands();
  const width = Math.max(...cmds.map((c) => c.name.length)) + 2;
  return [
    'stemsight: click what you hear (visually guided sound separation)',
    '',
    'Usage: stemsight <command> [options]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `stemsight <command> --help` for a command\'s options.',
    '',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [`Usage: stemsight ${c.usage}`, '', c.summary, '', 'Options:', formatOptions(c.options), ...(c.details ? ['', c.details] : []), ''].join('\n');
}

/**
 * One line a person can act on, without the internals, and whether it is a usage mistake (exit
 * status 2; a cancelled run counts as one). AppErrors are written for people; anything else is a bug.
 */
export function describeError(err: unknown): { message: string; usage: boolean } {
  if (isCancelled(err)) return { message: 'cancelled', usage: true };
  if (isAppError(err)) return { message: err.message, usage: err instanceof UsageError };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.code === 'EPIPE') return { message: 'output closed early', usage: false };
  const info = errorInfo(err);
  if (info.code === 'io_error') return { message: info.message, usage: false };
  const text = err instanceof Error ? err.message : String(err);
  return { message: `unexpected error: ${text.split('\n')[0]} (run with STEMSIGHT_DEBUG=1 for details)`, usage: false };
}

export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const debug = process.env.STEMSIGHT_DEBUG === '1';
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      if (name === 'help' && rest[0]) {
        const c = await loadCommand(rest[0]);
        if (!c) throw new UsageError(`unknown command '${rest[0]}' (see stemsight --help)`);
        io.stdout.write(commandHelp(c));
        return 0;
      }
      io.stdout.write(await mainHelp());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${version()}\n`);
      return 0;
    }
    const command = await loadCommand(name);
    if (!command) throw new UsageError(`unknown command '${name}' (see stemsight --help)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(parseArgs(rest, command.options, name), io);
  } catch (err) {
    const { message, usage } = describeError(err);
    io.stderr.write(`stemsight: ${message}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
