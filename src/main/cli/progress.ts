import type { CliIO } from './command';

/**
 * Progress on stderr for long commands: one self-overwriting line on a TTY, nothing otherwise (so
 * pipes and tests see only the result). Call done() before printing the result.
 */
export interface Progress {
  update(stage: string, fraction?: number, etaSec?: number): void;
  done(): void;
}

export function createProgress(io: CliIO, minIntervalMs = 100): Progress {
  const tty = Boolean(io.stderr.isTTY);
  let last = 0;
  let shown = false;
  return {
    update(stage, fraction, etaSec) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < minIntervalMs && fraction !== 1) return;
      last = now;
      const pct = fraction === undefined ? '' : ` ${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
      const eta = etaSec === undefined || !Number.isFinite(etaSec) ? '' : ` (about ${Math.ceil(etaSec)} s left)`;
      io.stderr.write(`\r\x1b[2K${stage}${pct}${eta}`);
      shown = true;
    },
    done() {
      if (tty && shown) io.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}
