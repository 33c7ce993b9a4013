/**
 * Web entry: serves the renderer and the API on 127.0.0.1 without Electron. Used by `npm start`
 * where the Electron binary is missing, and by the end-to-end tests.
 *
 *   node --import tsx src/main/server.ts [--port N] [--data-dir DIR] [--renderer DIR] [--json]
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServices } from './services';
import { startWebServer } from './transport/web';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STEMSIGHT_DATA_DIR) return path.resolve(env.STEMSIGHT_DATA_DIR);
  // The same folder Electron's app.getPath('userData') uses, so both UIs share the recent list.
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'stemsight');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'stemsight');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'stemsight');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      renderer: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const rendererDir = path.resolve(values.renderer ?? path.join(root, 'out', 'renderer'));
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    console.error(`The UI is not built (${rendererDir} has no index.html). Run "npm run build" first.`);
    process.exit(1);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, not ${values.port}.`);
    process.exit(2);
  }
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const services = await createServices({ dataDir, transport: 'web' });
  const server = await startWebServer({
    api: services.api,
    rendererDir,
    port,
    log: values.quiet ? undefined : (line) => console.error(`[web] ${line}`),
  });
  if (values.json) {
    console.log(JSON.stringify({ url: server.url, origin: server.origin, token: server.token, dataDir }));
  } else {
    console.log(`Stemsight is running at:\n\n  ${server.url}\n\nOpen that address in a browser (it carries this run's access token). Press Ctrl+C to stop.`);
  }
  const stop = async () => {
    await server.close();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`Stemsight could not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
});
