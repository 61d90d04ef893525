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

function ack(received: number, applied: number): BatchAck {
  return {
    status: 'success',
    received_count: received,
    applied_count: applied,
    duplicate_count: received - applied,
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
   * stored, or that repeats a seq earlier in the same batch, is counted as a duplicate.
   *
   * @throws BadRequestError before anything is applied, when a record is malformed
   */
  async applyBatch(batch: MetricBatch): Promise<BatchAck> {
    const prepared = prepareRecords(batch);
    const applied = await this.queue.run(() => this.commitRecords(batch.agent_id, prepared));
    this.logger.debug(
      { agentId: batch.agent_id, received: prepared.length, applied },
      'batch applied',
    );

    return ack(prepared.length, applied);
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

  private async commitRecords(agentId: string, prepared: PreparedRecord[]): Promise<number> {
    const markerKeys = prepared.map((p) => appliedKey(agentId, p.seq));
    const markers = await this.store.getMany(markerKeys);

    const buckets = new Map<string, Bucket>();
    const fresh = new Set<string>();
    prepared.forEach((p, i) => {
      const key = markerKeys[i] as string;
      if (markers[i] === undefined && !fresh.has(key)) {
        fresh.add(key);
        bucketIn(buckets, p.key).addRecord(p.record, p.sketch);
      }
    });

    const marker: AppliedMarker = { appliedAt: this.now() };
    const markerPuts = [...fresh].map((key) => ({ key, value: marker }));

    await this.commit(buckets, markerPuts);

    return markerPuts.length;
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
