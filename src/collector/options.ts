import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { BatchAck } from '../protocol/types.js';

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

/**
 * Default dedupe window: 7 days. An applied marker is kept at least this long, far beyond any
 * agent's local retention (60 minutes by default), so no record is still being resent when its
 * marker goes.
 */
export const DEFAULT_DEDUPE_WINDOW_MS = 7 * 24 * 3_600_000;

/** Shortest dedupe window accepted: one second, for tests; production wants days. */
export const MIN_DEDUPE_WINDOW_MS = 1000;

/** What the {@link CollectorOptions.onBatchApplied} test hook is told about a stored batch. */
export interface BatchAppliedEvent {
  agentId: string;
  serverId: string;
  /** The answer about to be sent, with `applied_seqs` and `duplicate_seqs`. */
  ack: BatchAck;
}

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
  /**
   * Milliseconds an applied marker is kept, an integer from 1,000 to 2^53 - 1. A record resent
   * after its marker is gone is counted again, so this must stay far above the longest time an
   * agent keeps a record (`localRetentionMinutes`). Expired markers are deleted in bounded
   * background steps every quarter of the window (at most every hour).
   * @default 604800000 (7 days)
   */
  dedupeWindowMs?: number;
  /**
   * **A test hook.** Called for each batch of this agent's format after its synced write and
   * before the answer is sent, with the answer; the answer waits for a returned promise. Crash
   * tests use it to kill an agent between "applied" and "deleted". If it throws, the request
   * answers 500 although the batch is stored, as if the answer had been lost. Not called for
   * per-call batches or batches that fail.
   * @default none
   */
  onBatchApplied?: (event: BatchAppliedEvent) => void | Promise<void>;
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
  readonly dedupeWindowMs: number;
  readonly onBatchApplied: ((event: BatchAppliedEvent) => void | Promise<void>) | undefined;
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

function checkFunction(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigError(field, `${field} must be a function, got ${typeof value}`);
  }
}

/**
 * Applies the defaults and checks every option.
 *
 * @throws ConfigError naming the option, its constraint and the value received
 */
export function resolveCollectorOptions(options: CollectorOptions = {}): ResolvedCollectorOptions {
  const { port = DEFAULT_PORT, host = DEFAULT_HOST, dataDir = DEFAULT_DATA_DIR } = options;
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const dedupeWindowMs = options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
  checkFunction('now', options.now);
  checkFunction('onBatchApplied', options.onBatchApplied);

  return {
    port: checkInteger('port', port, 0, 65_535),
    host: checkText('host', host),
    dataDir: resolve(checkText('dataDir', dataDir)),
    logger: (options.logger ?? defaultLogger()).child({ component: 'collector' }),
    now: options.now ?? Date.now,
    bodyLimitBytes: checkInteger('bodyLimitBytes', bodyLimitBytes, 1024, 2 ** 30),
    dedupeWindowMs: checkInteger(
      'dedupeWindowMs',
      dedupeWindowMs,
      MIN_DEDUPE_WINDOW_MS,
      Number.MAX_SAFE_INTEGER,
    ),
    onBatchApplied: options.onBatchApplied,
  };
}
