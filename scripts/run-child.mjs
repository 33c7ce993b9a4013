// Run a long-lived child (the Electron app, the web server) in the foreground: Ctrl-C and SIGTERM
// are passed on, and this process ends with the child's status. A child killed by a signal is a
// failure (128 + the signal's number, as shells report it), never a quiet success.
import { spawn } from 'node:child_process';
import os from 'node:os';

export function exitStatus(code, signal) {
  if (signal) return 128 + (os.constants.signals[signal] ?? 0);
  return code ?? 1;
}

export function runChild(cmd, args, { cwd, env = process.env } = {}) {
  const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
  let forwarded = null;
  const forward = (sig) => {
    forwarded = sig;
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    console.error(`Could not start ${cmd}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal && signal !== forwarded) console.error(`${cmd} was killed by ${signal}.`);
    process.exit(exitStatus(code, signal));
  });
  return child;
}
