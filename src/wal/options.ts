import { systemClock, type Clock } from '../clock.js';
import { defaultLogger, type Logger } from '../logger.js';
import { DEFAULT_MAX_BYTES } from './capacity.js';
import type { DropReason } from './counters.js';
import { DEFAULT_MAX_QUARANTINED } from './quarantine.js';

/** Options of `WriteAheadLog.open`. */
export interface WriteAheadLogOptions {
  /**
   * Where the log reports open, close, sweeps, drops and repairs; it gets a child bound to
   * `{ component: 'wal' }`. Nothing is logged per append.
   *
   * @default a silent logger, see `defaultLogger()`
   */
  logger?: Logger;
  /**
   * The clock log time is read from (see `LogTime`): its wall time once at open, then its
   * monotonic time. Also times open and sweeps for the log lines.
   *
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Bytes of pending page values (about 270 bytes a record of a busy second, 60 of a quiet one)
   * the log holds at most. An append that would pass it deletes the oldest records, for reason
   * `size`, in the same atomic batch. A positive integer.
   *
   * @default 268435456 (256 MiB)
   */
  maxBytes?: number;
  /**
   * Records the quarantine keeps at most; past it the entries of the lowest seqs are deleted.
   * They still count in `counts()`. A non-negative integer; 0 keeps none.
   *
   * @default 10000
   */
  maxQuarantinedRecords?: number;
  /**
   * Told how many records left the log unsent, and why: once per append that hit the size
   * cap, per sweep, per quarantine call or read that found unreadable records, per `delete`
   * for a reason other than `sent`, and at open for records a repair lost. Never called for
   * `sent`. A throw from it is logged and otherwise ignored.
   *
   * @default undefined, no callback
   */
  onDropped?: (reason: DropReason, count: number) => void;
}

/** {@link WriteAheadLogOptions} with every default applied. */
export interface ResolvedLogOptions {
  logger: Logger;
  clock: Clock;
  maxBytes: number;
  maxQuarantinedRecords: number;
  onDropped: ((reason: DropReason, count: number) => void) | undefined;
}

/**
 * Applies the defaults and checks every option.
 *
 * @throws {RangeError} naming the option when a number is out of range.
 * @throws {TypeError} when `onDropped` is not a function.
 */
export function resolveLogOptions(options: WriteAheadLogOptions): ResolvedLogOptions {
  const resolved: ResolvedLogOptions = {
    logger: options.logger ?? defaultLogger(),
    clock: options.clock ?? systemClock,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxQuarantinedRecords: options.maxQuarantinedRecords ?? DEFAULT_MAX_QUARANTINED,
    onDropped: options.onDropped,
  };

  checkInteger('maxBytes', resolved.maxBytes, 1);
  checkInteger('maxQuarantinedRecords', resolved.maxQuarantinedRecords, 0);
  if (resolved.onDropped !== undefined && typeof resolved.onDropped !== 'function') {
    throw new TypeError(`onDropped must be a function, received ${typeof resolved.onDropped}`);
  }

  return resolved;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, received ${String(value)}`);
  }
}
