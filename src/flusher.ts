import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Meter } from './meter/index.js';
import type { RecordDraft } from './protocol/types.js';
import type { WriteAheadLog } from './wal/index.js';

/** Options of a {@link Flusher}. */
export interface FlusherOptions {
  meter: Meter;
  /** The log, once open; undefined when it could not open. */
  opening: Promise<WriteAheadLog | undefined>;
  clock: Clock;
  logger: Logger;
  /** Records kept in memory for the next flush while the log refuses writes. @default 10000 */
  maxUnwrittenRecords?: number;
  /** Called after each successful append, with the log. */
  onAppended?: (log: WriteAheadLog) => void;
}

const DEFAULT_MAX_UNWRITTEN = 10_000;
const LOG_EVERY_MS = 60_000;

/**
 * Moves the meter's buckets into the log, one synced batch a flush, one flush at a time. When
 * the log refuses a write (a full disk, a broken store) the records wait in memory for the next
 * flush, up to a bound; past it the oldest are dropped and counted, and the host never sees
 * an error.
 */
export class Flusher {
  private readonly options: FlusherOptions;
  private readonly maxUnwritten: number;
  private chain: Promise<unknown> = Promise.resolve();
  private unwritten: RecordDraft[] = [];
  private dropped = 0;
  private lastReportMs = -Infinity;

  constructor(options: FlusherOptions) {
    this.options = options;
    this.maxUnwritten = options.maxUnwrittenRecords ?? DEFAULT_MAX_UNWRITTEN;
  }

  /** Records lost because the log would not take them. */
  get droppedRecords(): number {
    return this.dropped;
  }

  /** Records waiting in memory for the log to take them. */
  get unwrittenRecords(): number {
    return this.unwritten.length;
  }

  /**
   * Appends what the meter holds, and what earlier flushes could not write, after any flush
   * still running.
   *
   * @returns How many records were appended; 0 when there were none or the log refused them.
   */
  flush(): Promise<number> {
    const run = this.chain.then(() => this.appendDrained());
    this.chain = run;
    return run;
  }

  /** Counts what still waits in memory as lost: the agent is closing and the log refused it. */
  abandonUnwritten(): void {
    if (this.unwritten.length === 0) return;
    this.lastReportMs = -Infinity;
    this.drop(this.unwritten.length, new Error('the agent closed before the log took them'));
    this.unwritten = [];
  }

  private async appendDrained(): Promise<number> {
    this.options.clock.calibrate();
    const fresh = this.options.meter.drain();
    const drafts = this.unwritten.length === 0 ? fresh : this.unwritten.concat(fresh);
    this.unwritten = [];
    if (drafts.length === 0) return 0;

    const log = await this.options.opening;
    if (log === undefined) {
      // The log did not open and will not: keeping the records would only delay the count.
      this.drop(drafts.length, new Error('the write-ahead log is not open'));
      return 0;
    }
    try {
      await log.append(drafts);
    } catch (error) {
      // A TypeError is a draft the log can never take; anything else may pass next time.
      if (error instanceof TypeError) this.drop(drafts.length, error);
      else this.keepForRetry(drafts, error);
      return 0;
    }

    this.options.onAppended?.(log);
    return drafts.length;
  }

  private keepForRetry(drafts: RecordDraft[], error: unknown): void {
    const excess = drafts.length - this.maxUnwritten;
    // The newest are kept: the oldest are the nearest to leaving the retention window anyway.
    this.unwritten = excess > 0 ? drafts.slice(excess) : drafts;
    if (excess > 0) this.drop(excess, error);
    else this.report(error);
  }

  private drop(records: number, error: unknown): void {
    this.dropped += records;
    this.report(error);
  }

  // Once a minute at most: a broken disk fails every flush, and each failure is the same news.
  private report(error: unknown): void {
    const nowMs = this.options.clock.monotonicMs();
    if (nowMs - this.lastReportMs < LOG_EVERY_MS) return;
    this.lastReportMs = nowMs;
    this.options.logger.error(
      { err: error, waiting: this.unwritten.length, dropped: this.dropped, reason: 'storage' },
      'the write-ahead log refused records; they wait in memory, the oldest beyond the bound are dropped',
    );
  }
}
