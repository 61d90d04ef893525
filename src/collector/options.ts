import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';

/** Port the collector listens on by default. */
export const DEFAULT_PORT = 8080;

/** Interface the collector listens on by default: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/** Default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.tps-collector';

/**
 * Default largest request body: 32 MiB. A batch of 10,000 records (the most the schema allows)
 * with sketches of a wide latency spread is about 16 MiB.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** Options of {@link startCollector}. */
export interface CollectorOptions {
  /**
   * TCP port, an integer from 0 to 65535; 0 picks a free one, read it from `Collector.port`.
   * @default 8080
   */
  port?: number;
  /**
   * Host name or address to listen on; `0.0.0.0` listens on every IPv4 interface.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Directory of the LevelDB database, made (with its parents) if missing. Relative paths are
   * resolved against the working directory.
   * @default '.tps-collector'
   */
  dataDir?: string;
  /**
   * pino logger; the collector logs through a child bound to `{ component: 'collector' }`.
   * @default `defaultLogger()`: silent unless `TPS_LOG_LEVEL` is set
   */
  logger?: Logger;
  /**
   * Wall-clock epoch milliseconds now, read for the default query range, applied markers and
   * heartbeat staleness; tests pass their own.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Largest request body in bytes, an integer from 1,024 to 1 GiB; larger bodies get 413.
   * @default 33554432 (32 MiB)
   */
  bodyLimitBytes?: number;
}

/** The options with every default applied and checked. */
export interface ResolvedCollectorOptions {
  readonly port: number;
  readonly host: string;
  /** Absolute path. */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly bodyLimitBytes: number;
}

function checkInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = `an integer from ${min} to ${max}`;
    throw new ConfigError(field, `${field} must be ${range}, got ${String(value)}`);
  }

  return value;
}

function checkText(field: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, `${field} must be a non-empty string, got ${String(value)}`);
  }

  return value;
}

/**
 * Applies the defaults and checks every option.
 *
 * @throws ConfigError naming the option, its constraint and the value received
 */
export function resolveCollectorOptions(options: CollectorOptions = {}): ResolvedCollectorOptions {
  const { port = DEFAULT_PORT, host = DEFAULT_HOST, dataDir = DEFAULT_DATA_DIR } = options;
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new ConfigError('now', `now must be a function, got ${typeof options.now}`);
  }

  return {
    port: checkInteger('port', port, 0, 65_535),
    host: checkText('host', host),
    dataDir: resolve(checkText('dataDir', dataDir)),
    logger: (options.logger ?? defaultLogger()).child({ component: 'collector' }),
    now: options.now ?? Date.now,
    bodyLimitBytes: checkInteger('bodyLimitBytes', bodyLimitBytes, 1024, 2 ** 30),
  };
}
