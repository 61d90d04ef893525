import { pino, type Logger } from 'pino';
import { ConfigError } from './errors.js';

export type { Logger };

/**
 * The logger a component uses when the host passes none: silent, because a library must not
 * print on its own. `TPS_LOG_LEVEL` (a pino level such as `info`) turns it on, on stderr.
 *
 * @throws {@link ConfigError} (`ERR_TPS_CONFIG`) when `TPS_LOG_LEVEL` is not a pino level.
 */
export function defaultLogger(): Logger {
  const level = process.env.TPS_LOG_LEVEL?.trim() || 'silent';
  const levels = [...Object.keys(pino.levels.values), 'silent'];
  if (!levels.includes(level)) {
    throw new ConfigError(
      'TPS_LOG_LEVEL',
      `environment variable TPS_LOG_LEVEL is ${JSON.stringify(level)}; expected one of ${levels.join(', ')}`,
    );
  }

  return pino({ level }, pino.destination(2));
}
