import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import type { DeleteReason, QuarantineReason } from './counters.js';
import { OperationGate } from './gate.js';
import type { LogTime } from './log-time.js';
import type { LogReporter } from './reporter.js';
import { storageError } from './storage.js';
import type { PreparedAppend, QuarantineItem, RecordStore } from './store.js';

/** What a sweep did. */
export interface SweepResult {
  /** Records deleted for retention. */
  deleted: number;
  /** Unreadable records moved to the quarantine. */
  corrupt: number;
}

/**
 * The log's operations on checked arguments: each runs through the gate (writes one at a time,
 * reads beside them) and reports the records it dropped. `WriteAheadLog` checks the arguments
 * and documents the behaviour; this is where the steps are.
 */
export class LogOperations {
  readonly gate: OperationGate;

  constructor(
    readonly store: RecordStore,
    private readonly parts: { logger: Logger; clock: Clock; time: LogTime; reporter: LogReporter },
  ) {
    this.gate = new OperationGate(() => storageError(store.location, 'log is closed', null));
  }

  /**
   * Appends `drafts`, reporting any records dropped to stay under the size cap. They are encoded
   * at once, outside the write turn: an append made while another one syncs encodes meanwhile,
   * and only the write waits for the turn.
   */
  append(drafts: readonly RecordDraft[]): Promise<MetricRecord[]> {
    if (this.gate.isClosed) return this.gate.closedRejection();

    let prepared: PreparedAppend;
    try {
      prepared = this.store.prepareAppend(drafts);
    } catch (error) {
      return Promise.reject(error);
    }

    return this.gate.write(async () => {
      const { records, droppedForSize } = await this.store.append(prepared);
      if (droppedForSize > 0) {
        const { pendingBytes } = this.store.counters;
        const fields = { records: droppedForSize, reason: 'size', pendingBytes };
        this.parts.logger.warn(fields, 'oldest records dropped unsent to stay under maxBytes');
        this.parts.reporter.dropped('size', droppedForSize);
      }

      return records;
    });
  }

  /** Reads up to `limit` readable records, quarantining the unreadable ones on the way. */
  read(limit: number, afterSeq: number): Promise<MetricRecord[]> {
    return this.gate.read(async () => {
      const read = await this.store.readPage(limit, afterSeq);
      if (read.corrupt.length > 0) await this.quarantineFound(read.corrupt);

      return read.records;
    });
  }

  /** Deletes the records of `seqs` that exist; drops other than `sent` are reported. */
  delete(seqs: readonly number[], reason: DeleteReason): Promise<number> {
    return this.gate.write(async () => {
      const deleted = await this.store.deletePresent(seqs, reason);
      if (reason !== 'sent') this.parts.reporter.dropped(reason, deleted);

      return deleted;
    });
  }

  /** Moves the records of `items` that exist to the quarantine. */
  quarantine(items: readonly QuarantineItem[], reason: QuarantineReason): Promise<number> {
    return this.gate.write(async () => {
      const moved = await this.store.quarantine(items, reason);
      if (moved > 0) {
        // Seqs, not the detail: a detail may quote the record's contents.
        const seqs = items.slice(0, 10).map(({ seq }) => seq);
        this.parts.logger.warn({ records: moved, reason, seqs }, 'records moved to the quarantine');
        this.parts.reporter.dropped(reason, moved);
      }

      return moved;
    });
  }

  /** Sweeps step by step, each step a write of its own; stops early once the gate closes. */
  async sweep(maxAgeMs: number): Promise<SweepResult> {
    const { clock, time, logger, reporter } = this.parts;
    const startedMs = clock.monotonicMs();
    // Records appended while the sweep runs are younger than this cutoff, so they stay.
    const cutoffMs = time.nowMs() - maxAgeMs;
    const result: SweepResult = { deleted: 0, corrupt: 0 };
    let afterKey: string | undefined;
    do {
      const from = afterKey;
      const step = await this.gate.write(() => this.store.sweepStep(from, cutoffMs));
      result.deleted += step.deleted;
      result.corrupt += step.corrupt;
      afterKey = step.lastKey;
      // Checked between steps, not inside one: a step once admitted runs to its end.
    } while (afterKey !== undefined && !this.gate.isClosed);

    const sweepMs = Math.round(clock.monotonicMs() - startedMs);
    logger.info({ ...result, maxAgeMs, sweepMs }, 'write-ahead log swept');
    reporter.dropped('retention', result.deleted);
    reporter.dropped('corrupt', result.corrupt);

    return result;
  }

  /** Quarantines unreadable records a read found; they are skipped whether or not it works. */
  private async quarantineFound(items: readonly QuarantineItem[]): Promise<void> {
    try {
      await this.quarantine(items, 'corrupt');
    } catch (error) {
      // Closed or failing: the records stay pending, and the next read tries again.
      const fields = { err: error, records: items.length };
      this.parts.logger.warn(fields, 'unreadable records not quarantined');
    }
  }
}
