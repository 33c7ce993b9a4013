/**
 * A small flag parser for the CLI: `--name value`, `--name=value`, boolean `--flag` / `--no-flag`,
 * lists (`--reference a.wav b.wav`: values run until the next flag) and repeatable flags
 * (`--source X,Y --source X,Y`). Anything it does not know is a usage error.
 */

import { AppError } from '../../shared/errors';

/** A command line that cannot be run as given: exit status 2. */
export class UsageError extends AppError {
  override name = 'UsageError';
  constructor(message: string) {
    super('bad_request', message);
  }
}

export type OptionKind = 'string' | 'boolean' | 'list' | 'repeat';

export interface OptionSpec {
  kind: OptionKind;
  /** One-line description for --help. */
  help: string;
  /** Placeholder shown in --help, e.g. "DIR". */
  value?: string;
  default?: string | boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface Parsed {
  /** string -> string, boolean -> boolean, list/repeat -> string[] */
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: OptionSpecs, command: string): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined) options[name] = spec.default;
    if (spec.kind === 'list' || spec.kind === 'repeat') options[name] = [];
  }
  const unknown = (flag: string) => new UsageError(`unknown option ${flag} for '${command}' (see stemsight ${command} --help)`);
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || !arg.startsWith('--') || arg === '-') {
      if (!onlyPositionals && arg.startsWith('-') && arg.length > 1 && arg !== '-') throw unknown(arg);
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    let spec = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${arg.slice(0, eq)} takes no value`);
      options[name.slice(3)] = false;
      continue;
    }
    if (!spec) throw unknown(`--${name}`);
    switch (spec.kind) {
      case 'boolean':
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
        options[name] = true;
        break;
      case 'string': {
        const v = inline ?? argv[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value (${spec.value ?? 'VALUE'})`);
        options[name] = v;
        break;
      }
      case 'repeat': {
        const v = inline ?? argv[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value (${spec.value ?? 'VALUE'})`);
        (options[name] as string[]).push(v);
        break;
      }
      case 'list': {
        const list = options[name] as string[];
        if (inline !== undefined) list.push(inline);
        while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) list.push(argv[++i]);
        if (list.length === 0) throw new UsageError(`--${name} needs at least one value (${spec.value ?? 'VALUE'} ...)`);
        break;
      }
    }
    name = '';
  }
  return { options, positionals };
}

export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const v = s.kind === 'boolean' ? '' : s.kind === 'list' ? ` ${s.value ?? 'VALUE'}...` : ` ${s.value ?? 'VALUE'}`;
    return [`  --${name}${v}`, s.help] as const;
  });
  rows.push(['  --help', 'show this help'] as const);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n');
}
