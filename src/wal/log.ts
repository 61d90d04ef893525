import { systemClock, type Clock } from '../clock.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { DELETE_REASONS, type DeleteReason } from './counters.js';
import { OperationGate } from './gate.js';
import { isSeq, recordKey } from './keys.js';
import { loadMeta } from './meta.js';
import { openDatabase, storageError } from './storage.js';
import { RecordStore } from './store.js';

/** Options of {@link WriteAheadLog.open}. */
export interface WriteAheadLogOptions {
  /**
   * Where the log reports open, close and sweeps; it gets a child bound to
   * `{ component: 'wal' }`. Nothing is logged per append.
   *
   * @default a silent logger, see `defaultLogger()`
   */
  logger?: Logger;
  /**
   * The monotonic clock used to time open and sweeps for the log lines.
   *
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * A durable, ordered log of metric records on an embedded LevelDB: the meter appends, the sender
 * reads the oldest and deletes what the collector acknowledged, retention sweeps the rest.
 *
 * Each record gets a sequence number that only grows, even across restarts. Counters are kept in
 * the same atomic batches as the records, so they are exact after a crash and cost nothing to
 * load. All writes run one at a time, in call order.
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

  private readonly store: RecordStore;
  private readonly gate: OperationGate;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private closing: Promise<void> | undefined;

  private constructor(
    store: RecordStore,
    agentId: string,
    options: Required<WriteAheadLogOptions>,
  ) {
    this.location = store.location;
    this.agentId = agentId;
    this.store = store;
    this.logger = options.logger;
    this.clock = options.clock;
    this.gate = new OperationGate(() => storageError(this.location, 'log is closed', null));
  }

  /**
   * Opens the log at `location`, creating the directory and the database if they are missing.
   *
   * @param location the directory LevelDB lives in; one log per directory and per process.
   * @throws {TpsError} `ERR_TPS_STORAGE` naming the location, with the LevelDB error as `cause`,
   * for example when another process has the log open.
   */
  static async open(location: string, options: WriteAheadLogOptions = {}): Promise<WriteAheadLog> {
    const clock = options.clock ?? systemClock;
    const logger = (options.logger ?? defaultLogger()).child({ component: 'wal' });
    const startedMs = clock.monotonicMs();
    const db = await openDatabase(location);

    try {
      const { agentId, counters } = await loadMeta(db, location);
      const log = new WriteAheadLog(new RecordStore(location, db, counters), agentId, {
        logger,
        clock,
      });
      const openMs = Math.round(clock.monotonicMs() - startedMs);
      logger.info({ location, agentId, pending: counters.pending, openMs }, 'write-ahead log open');

      return log;
    } catch (error) {
      // Release LevelDB's lock so that a retry, or another process, can open the data dir.
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  /** Records in the log now. Exact: it changes in the same batch as the records. */
  get pendingCount(): number {
    return this.store.counters.pending;
  }

  /** Records ever appended to this data dir. */
  get totalStored(): number {
    return this.store.counters.stored;
  }

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.gate.isClosed;
  }

  /** Records ever deleted from this data dir, per reason. */
  counts(): Readonly<Record<DeleteReason, number>> {
    return this.store.counters.deletedCounts();
  }

  /**
   * Gives each draft the next sequence number and stores them all in one atomic, synced batch.
   *
   * @returns the records, in the order of `drafts`, once they are durable on disk.
   * @throws {TypeError} when a draft's `t` is not a finite number.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails; then none of
   * the drafts is stored.
   */
  append(drafts: readonly RecordDraft[]): Promise<MetricRecord[]> {
    const bad = drafts.findIndex((draft) => !Number.isFinite(draft?.t));
    if (bad >= 0) {
      return Promise.reject(new TypeError(`drafts[${bad}].t must be a finite number`));
    }

    return this.gate.write(() => this.store.append(drafts));
  }

  /**
   * Reads up to `limit` records, oldest (lowest seq) first.
   *
   * @param limit a non-negative integer.
   * @throws {RangeError} for a bad `limit`.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  readOldest(limit: number): Promise<MetricRecord[]> {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      return Promise.reject(new RangeError(`limit must be an integer >= 0, received ${limit}`));
    }
    if (limit === 0) return this.gate.read(async () => []);

    return this.gate.read(() => this.store.readOldest(limit));
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
    if (!DELETE_REASONS.includes(reason)) {
      const known = DELETE_REASONS.join(', ');
      return Promise.reject(new RangeError(`reason must be one of ${known}, received ${reason}`));
    }
    const bad = seqs.find((seq) => !isSeq(seq));
    if (bad !== undefined) {
      return Promise.reject(new RangeError(`seqs must be positive integers, received ${bad}`));
    }

    const keys = [...new Set(seqs)].map(recordKey);

    return this.gate.write(() => this.store.deletePresent(keys, reason));
  }

  /**
   * Deletes every record whose `t` is before `cutoffWallMs`, for reason `'retention'`. The scan
   * covers the whole log, since `t` need not follow seq order when the wall clock steps back.
   * It runs in steps of bounded atomic batches, so appends and deletes go on meanwhile; when the
   * log is closed, the sweep ends after its current step and resolves with the count so far.
   *
   * @param cutoffWallMs epoch milliseconds; records with `t < cutoffWallMs` go.
   * @returns how many records the sweep deleted.
   * @throws {RangeError} when `cutoffWallMs` is not a finite number.
   * @throws {TpsError} `ERR_TPS_STORAGE` when the log is closed or LevelDB fails.
   */
  async sweep(cutoffWallMs: number): Promise<number> {
    if (!Number.isFinite(cutoffWallMs)) {
      throw new RangeError(`cutoffWallMs must be a finite number, received ${cutoffWallMs}`);
    }

    const startedMs = this.clock.monotonicMs();
    let deleted = 0;
    let afterKey: string | undefined;
    do {
      const from = afterKey;
      const step = await this.gate.write(() => this.store.sweepStep(from, cutoffWallMs));
      deleted += step.deleted;
      afterKey = step.lastKey;
      // Checked between steps, not inside one: a step once admitted runs to its end.
    } while (afterKey !== undefined && !this.gate.isClosed);

    const sweepMs = Math.round(this.clock.monotonicMs() - startedMs);
    this.logger.info({ deleted, cutoffWallMs, sweepMs }, 'write-ahead log swept');

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
    await this.gate.close();
    await this.store.close();
    this.logger.info(
      { location: this.location, pending: this.pendingCount },
      'write-ahead log closed',
    );
  }
}
