import type { Command } from './command';

/**
 * All subcommands, loaded on demand so `stemsight probe` does not pay for loading the others.
 * To add one (separate, localize, ...): create cli/commands/<name>.ts exporting `command`, and add
 * a line here.
 */
export const registry: Record<string, () => Promise<{ command: Command }>> = {
  probe: () => import('./commands/probe'),
  eval: () => import('./commands/eval'),
  bench: () => import('./commands/bench'),
  separate: () => import('./commands/separate'),
  localize: () => import('./commands/localize'),
  doctor: () => import('./commands/doctor'),
  cache: () => import('./commands/cache'),
  detect: () => import('./commands/detect'),
};

export async function loadCommand(name: string): Promise<Command | null> {
  const load = Object.hasOwn(registry, name) ? registry[name] : undefined;
  return load ? (await load()).command : null;
}

/** Every command for the overview; one that fails to load (say, a missing native module) is listed as such. */
export async function allCommands(): Promise<Command[]> {
  return Promise.all(
    Object.keys(registry)
      .sort()
      .map(async (name) => {
        try {
          return (await registry[name]()).command;
        } catch (err) {
          const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
          return { name, summary: `(unavailable: ${why})`, usage: name, options: {}, run: () => Promise.reject(err) } satisfies Command;
        }
      }),
  );
}
