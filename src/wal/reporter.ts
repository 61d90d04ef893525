import type { Logger } from '../logger.js';
import type { DropReason } from './counters.js';
import { markForRepair, type LogRecovery } from './recovery.js';

/**
 * Tells the log's owner and its logger about what the log did on its own: records it dropped,
 * a repair at open, damage found while running. A failure in the owner's callback is logged and
 * goes no further, so it can never fail the write that reported it.
 */
export class LogReporter {
  private toldCorruption = false;

  constructor(
    private readonly location: string,
    private readonly logger: Logger,
    private readonly onDropped: ((reason: DropReason, count: number) => void) | undefined,
  ) {}

  /** Reports `count` records dropped for `reason`; nothing when `count` is 0. */
  dropped(reason: DropReason, count: number): void {
    if (count === 0 || this.onDropped === undefined) return;

    try {
      this.onDropped(reason, count);
    } catch (error) {
      this.logger.warn({ err: error, reason, count }, 'onDropped threw; ignored');
    }
  }

  /** Logs what open did to a damaged store, and reports the records a repair lost. */
  recovery(recovery: LogRecovery | undefined, agentId: string): void {
    if (recovery === undefined) return;

    const fields = { location: this.location, agentId, ...recovery };
    if (recovery.action === 'repaired') {
      this.logger.warn(fields, 'write-ahead log was damaged and is repaired; seqs jump by 2^32');
    } else {
      this.logger.error(fields, 'write-ahead log was damaged beyond repair and is moved aside');
    }
    this.dropped('corrupt', recovery.lostRecords ?? 0);
  }

  /**
   * LevelDB found damage while the log runs, such as a table that reads as garbage. It cannot be
   * repaired under an open handle: leave a note so that the next open repairs it, and say so
   * once.
   *
   * @returns once the note is written (or could not be).
   */
  async corruption(error: unknown): Promise<void> {
    if (this.toldCorruption) return;

    this.toldCorruption = true;
    this.logger.error(
      { err: error, location: this.location },
      'LevelDB reports damage; the write-ahead log is repaired at its next open',
    );
    await markForRepair(this.location, (error as Error).message);
  }
}
