import type { Logger } from '../logger.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { countError, draftsError, reasonError, seqsError } from './checks.js';
import {
  DELETE_REASONS,
  QUARANTINE_REASONS,
  type DeleteReason,
  type DropReason,
  type QuarantineReason,
} from './counters.js';
import { reportIdentityEvents } from './identity.js';
import { LogTime } from './log-time.js';
import { resolveLogOptions, type WriteAheadLogOptions } from './options.js';
import type { QuarantinedRecord } from './quarantine.js';
import { openStore, type LogRecovery } from './recovery.js';
import { LogReporter } from './reporter.js';
import { LogOperations } from './operations.js';
import { RecordStore } from './store.js';

/** Options of {@link WriteAheadLog.readOldest}. */
export interface ReadOldestOptions {
  /**
   * Read only records with a higher seq: the last seq of the batches already in flight, so
   * that several readers take distinct batches. A non-negative integer.
   *
   * @default 0, from the oldest record
   */
  afterSeq?: number;
}

/**
 * A durable, ordered log of metric records on an embedded LevelDB: the meter appends, the sender
 * reads the oldest and deletes what the collector acknowledged or quarantines what it refused,
 * retention sweeps the rest, and a size cap bounds it all.
 *
 * Each record gets a sequence number that only grows, even across restarts and repairs. Counters
 * are kept in the same atomic batches as the records, so they are exact after a crash and cost
 * nothing to load. All writes run one at a time, in call order. `docs/wal.md` has the details.
 *
 * @example
 * ```ts
 * const log = await WriteAheadLog.open('/var/lib/tps-agent/wal');
 * const records = await log.append(drafts);
 * await log.delete(
 *   records.map((record) => record.seq),
 *   'sent',
 * );
 * await log.close();
 * ```
 */
export class WriteAheadLog {
  /** The directory LevelDB lives in. */
  readonly location: string;
  /** The agent's identity: made at the first open of this data dir, the same ever after. */
  readonly agentId: string;
  /** What open did to get past a damaged store; undefined when the store was sound. */
  readonly recovery: LogRecovery | undefined;

  private readonly ops: LogOperations;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;

  private constructor(
    ops: LogOperations,
    opened: { agentId: string; recovery: LogRecovery | undefined; logger: Logger },
  ) {
    this.location = ops.store.location;
    this.agentId = opened.agentId;
    this.recovery = opened.recovery;
    this.ops = ops;
    this.logger = opened.logger;
  }

  /**
   * Opens the log at `location`, creating the directory and the database if they are missing.
   * A damaged store is repaired, or moved aside for a fresh one (see {@link recovery}), so that
   * damage never keeps the agent from running.
   *
   * @param location the directory LevelDB lives in; one log per directory and per process.
   * @throws {TpsError} `ERR_TPS_DATADIR_LOCKED` when another process, or another open log, has
   * this directory, with LevelDB's error as `cause`.
   * @throws {TpsError} `ERR_TPS_STORAGE` naming the location, with the underlying error as
   * `cause`, when the directory cannot be used for a reason other than damage (permissions, a
   * full disk, a layout from a newer release).
   * @throws {RangeError | TypeError} when an option is out of range.
   */
  static async open(location: string, options: WriteAheadLogOptions = {}): Promise<WriteAheadLog> {
    const { clock, ...resolved } = resolveLogOptions(options);
    const logger = resolved.logger.child({ component: 'wal' });
    const reporter = new LogReporter(location, logger, resolved.onDropped);
    const startedMs = clock.monotonicMs();
    const { db, meta, recovery } = await openStore(location, { wallMs: () => clock.wallMs() });
    // Anchored once the store is open, so open time does not count against any record's age.
    const time = new LogTime(clock);
    const store = new RecordStore(location, db, meta.counters, {
      maxBytes: resolved.maxBytes,
      maxQuarantined: resolved.maxQuarantinedRecords,
      time,
      onCorruption: (error) => void reporter.corruption(error),
    });
    const { agentId } = meta;
    const ops = new LogOperations(store, { logger, clock, time, reporter });
    const log = new WriteAheadLog(ops, { agentId, recovery, logger });

    reporter.recovery(recovery, agentId);
    reportIdentityEvents(meta.identityEvents, logger, reporter);
    const openMs = Math.round(clock.monotonicMs() - startedMs);
    const { pending } = meta.counters;
    logger.info({ location, agentId, pending, openMs }, 'write-ahead log open');

    return log;
  }

  /** Records in the log now. Exact: it changes in the same batch as the records. */
  get pendingCount(): number {
    return this.ops.store.counters.pending;
  }

  /** Bytes of the values under the record keys (pages, headers included); kept under `maxBytes`. */
  get pendingBytes(): number {
    return this.ops.store.counters.pendingBytes;
  }

  /** Records ever appended to this data dir, dropped ones included. */
  get totalStored(): number {
    return this.ops.store.counters.stored;
  }

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.ops.gate.isClosed;
  }

  /** Records that ever left the log, per reason: `sent`, and the four ways of being dropped. */
  counts(): Readonly<Record<DropReason, number>> {
    return this.ops.store.counters.droppedCounts();
  }

  /**
   * Gives each draft the next sequence number and stores them all in one atomic, synced batch.
   * The seqs and the pages are made at the call, so that an append made while another one
   * syncs encodes meanwhile; a write that fails leaves its seqs unused, never given again.
   * When the log would pass `maxBytes`, the same batch deletes its oldest records for `size`;
   * an append bigger than the whole cap keeps only its newest drafts that fit.
   *
   * @returns the records stored, in the order of `drafts`, once they are durable on disk. Each
   * record's `tags` and `error_kinds` are its draft's own objects, not copies: change them after
   * the call and the records returned change with them, though what was stored does not.
   * @throws {TypeError} when a draft is not shaped like a record; then none is stored.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails; then none of
   * the drafts is stored.
   */
  append(drafts: readonly RecordDraft[]): Promise<MetricRecord[]> {
    const invalid = draftsError(drafts);
    if (invalid !== undefined) return Promise.reject(invalid);

    return this.ops.append(drafts);
  }

  /**
   * Reads up to `limit` records, oldest (lowest seq) first. A record whose stored value cannot
   * be decoded, or is not shaped like a record, is moved to the quarantine for `corrupt` and
   * skipped; the read goes on past it to fill the limit.
   *
   * @param limit a non-negative integer.
   * @throws {RangeError} when `limit` or `afterSeq` is not a non-negative integer.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  readOldest(limit: number, options: ReadOldestOptions = {}): Promise<MetricRecord[]> {
    const { afterSeq = 0 } = options;
    const invalid = countError('limit', limit) ?? countError('afterSeq', afterSeq);
    if (invalid !== undefined) return Promise.reject(invalid);
    // No seq is above the largest safe integer: seqs are safe integers.
    if (limit === 0 || afterSeq >= Number.MAX_SAFE_INTEGER) {
      return this.ops.gate.read(async () => []);
    }

    return this.ops.read(limit, afterSeq);
  }

  /**
   * Deletes the records with these seqs in one atomic, synced batch. Seqs of records that are
   * gone already (sent and swept at once, or a repeated delete) are skipped and not counted.
   *
   * @returns how many records this call deleted.
   * @throws {RangeError} when a seq is not a positive integer or the reason is unknown.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  delete(seqs: readonly number[], reason: DeleteReason): Promise<number> {
    const invalid = reasonError(reason, DELETE_REASONS) ?? seqsError(seqs);
    if (invalid !== undefined) return Promise.reject(invalid);

    return this.ops.delete([...new Set(seqs)], reason);
  }

  /**
   * Moves the records with these seqs out of the pending range into the quarantine, with the
   * reason, `detail` and the time, in one atomic, synced batch with the counters. They count as
   * dropped for `reason` and are kept for inspection (see {@link readQuarantine}), up to
   * `maxQuarantinedRecords`. Seqs of records that are gone already are skipped.
   *
   * @param detail what was wrong, e.g. the collector's answer; cut to 1,024 characters.
   * @returns how many records this call moved.
   * @throws {RangeError} when a seq is not a positive integer or the reason is unknown.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  quarantine(seqs: readonly number[], reason: QuarantineReason, detail: string): Promise<number> {
    const invalid = reasonError(reason, QUARANTINE_REASONS) ?? seqsError(seqs);
    if (invalid !== undefined) return Promise.reject(invalid);

    const items = [...new Set(seqs)].map((seq) => ({ seq, detail: String(detail) }));

    return this.ops.quarantine(items, reason);
  }

  /**
   * Lists up to `limit` records in the quarantine, lowest seq first.
   *
   * @throws {RangeError} when `limit` is not a non-negative integer.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  readQuarantine(limit: number): Promise<QuarantinedRecord[]> {
    const invalid = countError('limit', limit);
    if (invalid !== undefined) return Promise.reject(invalid);

    return this.ops.gate.read(() => this.ops.store.readQuarantine(limit));
  }

  /**
   * Deletes every record stored more than `maxAgeMs` ago in log time, for reason `retention`;
   * unreadable records it meets go to the quarantine. Log time follows the monotonic clock, so
   * stepping the wall clock while the log is open changes nothing here. The sweep runs in steps
   * of bounded atomic batches, so appends and deletes go on meanwhile; when the log is closed,
   * it ends after its current step and resolves with the count so far.
   *
   * @param maxAgeMs the age past which records go, in milliseconds; a finite number >= 0.
   * @returns how many records the sweep deleted for `retention`.
   * @throws {RangeError} when `maxAgeMs` is not a finite number >= 0.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  async sweep(maxAgeMs: number): Promise<number> {
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
      throw new RangeError(`maxAgeMs must be a finite number >= 0, received ${maxAgeMs}`);
    }

    const { deleted } = await this.ops.sweep(maxAgeMs);

    return deleted;
  }

  /**
   * The `t` of the oldest record (lowest seq), or undefined when the log is empty.
   *
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  async oldestPendingTime(): Promise<number | undefined> {
    const [oldest] = await this.readOldest(1);

    return oldest?.t;
  }

  /**
   * Closes the log once the writes and reads already started have settled; operations called
   * afterwards reject. A second call logs a warning and returns the first call's promise.
   *
   * @throws {TpsError} `ERR_TPS_STORAGE` when LevelDB fails to close.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) {
      this.logger.warn({ location: this.location }, 'write-ahead log closed twice');
      return this.closing;
    }

    this.closing = this.closeNow();

    return this.closing;
  }

  /** Closes the log; lets `await using` close it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async closeNow(): Promise<void> {
    await this.ops.gate.close();
    await this.ops.store.close();
    this.logger.info(
      { location: this.location, pending: this.pendingCount },
      'write-ahead log closed',
    );
  }
}
