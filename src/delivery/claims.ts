import type { MetricRecord } from '../protocol/types.js';
import type { WriteAheadLog } from '../wal/index.js';

/** A batch read from the log and in flight: no other drain reads its records meanwhile. */
export interface Claim {
  readonly records: MetricRecord[];
  readonly seqs: number[];
}

/**
 * Hands out the log's records to concurrent drains, one batch each, with no record in two
 * batches at once. Reads run one at a time, each past the highest seq in flight; a claim is
 * released only after its records were deleted (or given up), so that a read from the oldest
 * never finds an acknowledged batch whose delete has not landed yet.
 */
export class BatchClaims {
  private readonly log: WriteAheadLog;
  private readonly batchSize: number;
  private readonly inFlight = new Set<Claim>();
  private reading: Promise<unknown> = Promise.resolve();

  constructor(log: WriteAheadLog, batchSize: number) {
    this.log = log;
    this.batchSize = batchSize;
  }

  /** Batches in flight now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Reads the next batch past those in flight and claims it.
   *
   * @returns The claim, or undefined when no record is left past the batches in flight.
   * @throws The log's `ERR_TPS_STORAGE` error, e.g. when it is closed.
   */
  claimNext(): Promise<Claim | undefined> {
    const claimed = this.reading.then(() => this.readAndClaim());
    // The next read waits for this one, failed or not, so it sees this claim.
    this.reading = claimed.catch(() => undefined);

    return claimed;
  }

  /** Gives a claim back once its records are deleted or left for a later round. */
  release(claim: Claim): void {
    this.inFlight.delete(claim);
  }

  private async readAndClaim(): Promise<Claim | undefined> {
    // With nothing in flight, read from the oldest: records a failed batch left behind come
    // first again, so the log drains in seq order.
    const afterSeq = this.highestSeqInFlight() ?? 0;
    const records = await this.log.readOldest(this.batchSize, { afterSeq });
    if (records.length === 0) return undefined;

    const claim: Claim = { records, seqs: records.map((record) => record.seq) };
    this.inFlight.add(claim);

    return claim;
  }

  private highestSeqInFlight(): number | undefined {
    let highest: number | undefined;
    for (const claim of this.inFlight) {
      const last = claim.seqs[claim.seqs.length - 1];
      if (last !== undefined && (highest === undefined || last > highest)) highest = last;
    }

    return highest;
  }
}
