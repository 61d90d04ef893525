import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The logger a component uses when the host passes none: silent, because a library must not
 * print on its own. `TPS_LOG_LEVEL` (a pino level such as `info`) turns it on, on stderr.
 */
export function defaultLogger(): Logger {
  const level = process.env.TPS_LOG_LEVEL?.trim() || 'silent';
  return pino({ level }, pino.destination(2));
}
