import type { Logger } from '../logger.js';
import type { BatchAck, LegacyMetricBatch, MetricBatch } from '../protocol/types.js';
import { Bucket, bucketIn, type StoredBucket } from './bucket.js';
import { appliedKey } from './keys.js';
import { prepareLegacyBatch } from './legacy.js';
import { prepareRecords, type PreparedRecord } from './records.js';
import { SerialQueue } from './serial-queue.js';
import type { PutOperation, Store } from './store.js';

/** What the applied marker of a record holds. */
export interface AppliedMarker {
  /** Epoch milliseconds at which the record was applied. */
  appliedAt: number;
}

/** The seqs of one batch of this agent's format, split by what became of them. */
interface SeqOutcome {
  /** Seqs applied now, in batch order. */
  applied: number[];
  /** Seqs applied before, or repeated earlier in the batch, in batch order. */
  duplicate: number[];
}

function ack(received: number, applied: number): BatchAck {
  return {
    status: 'success',
    received_count: received,
    applied_count: applied,
    duplicate_count: received - applied,
  };
}

function recordsAck(outcome: SeqOutcome): BatchAck {
  const { applied, duplicate } = outcome;

  return {
    ...ack(applied.length + duplicate.length, applied.length),
    applied_seqs: applied,
    duplicate_seqs: duplicate,
  };
}

/**
 * Adds batches to the stored buckets. Every batch is one read-modify-write that runs alone,
 * in arrival order, and ends with one synced LevelDB batch; so concurrent requests never lose
 * an update, and a batch is either wholly stored or not at all.
 */
export class Ingestor {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * Applies this agent's batch at most once per record: a record whose (agent, seq) marker is
   * stored, or that repeats a seq earlier in the same batch, is counted as a duplicate. Batches
   * of one agent may arrive at once: they run one after the other, so each seq is applied by
   * exactly one of them and named a duplicate by the others.
   *
   * @returns the answer, naming the seqs applied now and the duplicates
   * @throws BadRequestError before anything is applied, when a record is malformed
   */
  async applyBatch(batch: MetricBatch): Promise<BatchAck> {
    const prepared = prepareRecords(batch);
    const outcome = await this.queue.run(() => this.commitRecords(batch.agent_id, prepared));
    this.logger.debug(
      { agentId: batch.agent_id, received: prepared.length, applied: outcome.applied.length },
      'batch applied',
    );

    return recordsAck(outcome);
  }

  /**
   * Applies a per-call batch. Its calls carry no identity, so a batch sent twice is counted
   * twice: the per-call agents never had at-most-once delivery.
   *
   * @throws BadRequestError before anything is applied, when a timestamp is unreadable
   */
  async applyLegacyBatch(batch: LegacyMetricBatch): Promise<BatchAck> {
    const buckets = prepareLegacyBatch(batch);
    await this.queue.run(() => this.commit(buckets, []));
    this.logger.debug(
      { serverId: batch.server_id, received: batch.metrics.length },
      'per-call batch applied',
    );

    return ack(batch.metrics.length, batch.metrics.length);
  }

  /** Resolves once every batch accepted so far is stored (or has failed). */
  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  private async commitRecords(agentId: string, prepared: PreparedRecord[]): Promise<SeqOutcome> {
    const markerKeys = prepared.map((p) => appliedKey(agentId, p.seq));
    const markers = await this.store.getMany(markerKeys);

    const buckets = new Map<string, Bucket>();
    const fresh = new Set<string>();
    const outcome: SeqOutcome = { applied: [], duplicate: [] };
    prepared.forEach((p, i) => {
      const key = markerKeys[i] as string;
      if (markers[i] !== undefined || fresh.has(key)) {
        outcome.duplicate.push(p.seq);
        return;
      }
      fresh.add(key);
      outcome.applied.push(p.seq);
      bucketIn(buckets, p.key).addRecord(p.record, p.sketch);
    });

    const marker: AppliedMarker = { appliedAt: this.now() };
    const markerPuts = [...fresh].map((key) => ({ key, value: marker }));

    await this.commit(buckets, markerPuts);

    return outcome;
  }

  /**
   * Adds `buckets` to the stored ones and writes the sums together with `extra` (the applied
   * markers) in one synced batch: the markers exist exactly when the figures they guard do.
   */
  private async commit(buckets: Map<string, Bucket>, extra: PutOperation[]): Promise<void> {
    const keys = [...buckets.keys()];
    const stored = (await this.store.getMany(keys)) as (StoredBucket | undefined)[];

    const puts = keys.map((key, i) => {
      const previous = stored[i];
      // The stored bucket comes first, so that its error kinds keep their names when the
      // kind limit sends newer kinds to "other".
      const sum = previous === undefined ? new Bucket() : Bucket.fromStored(previous);
      sum.merge(buckets.get(key) as Bucket);

      return { key, value: sum.toStored() };
    });

    await this.store.write([...puts, ...extra]);
  }
}
