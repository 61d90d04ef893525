import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { StoredBucket } from '../../src/collector/bucket.js';
import { Ingestor } from '../../src/collector/ingest.js';
import { appliedKey, canonicalTags, seriesKey } from '../../src/collector/keys.js';
import { Store, type PutOperation } from '../../src/collector/store.js';
import type { MetricBatch } from '../../src/protocol/types.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeRecord } from './harness.js';

const T0 = 1_704_067_200_000;
const silent = pino({ level: 'silent' });

function bucketKey(gateway: string, serverId = 's'): string {
  return seriesKey({ gateway, t: T0, endpoint: 'charge', serverId, tags: canonicalTags({}) });
}

describe('Ingestor', () => {
  let dir: string;
  let store: Store;
  let ingestor: Ingestor;

  before(async () => {
    dir = await makeTempDir('tps-collector-ingestor-');
    store = await Store.open(dir);
    ingestor = new Ingestor(store, silent, () => 42);
  });

  after(async () => {
    await store.close();
    await removeDir(dir);
  });

  it('stores the bucket and the applied marker of each record', async () => {
    const batch: MetricBatch = {
      agent_id: 'a',
      server_id: 's',
      records: [makeRecord({ seq: 1, gateway: 'g1', t: T0 + 999 }, [3, 4])],
    };

    await ingestor.applyBatch(batch);

    const [bucket, marker] = await store.getMany([bucketKey('g1'), appliedKey('a', 1)]);
    assert.equal((bucket as StoredBucket).count, 2);
    assert.equal((bucket as StoredBucket).sumMs, 7);
    assert.deepEqual(marker, { appliedAt: 42 });
  });

  it('loses no update when many overlapping batches arrive at once', async () => {
    const batches = Array.from({ length: 50 }, (_, i) => ({
      agent_id: 'b',
      server_id: 's',
      // Each seq appears in two batches: 100 records in all, 51 distinct seqs.
      records: [makeRecord({ seq: i, gateway: 'g2' }), makeRecord({ seq: i + 1, gateway: 'g2' })],
    }));

    const acks = await Promise.all(batches.map((batch) => ingestor.applyBatch(batch)));

    const applied = acks.reduce((sum, ack) => sum + ack.applied_count, 0);
    const duplicates = acks.reduce((sum, ack) => sum + ack.duplicate_count, 0);
    assert.deepEqual([applied, duplicates], [51, 49]);
    const [bucket] = await store.getMany([bucketKey('g2')]);
    assert.equal((bucket as StoredBucket).count, 51);
  });

  it('bounds error kinds summed over many batches', async () => {
    const records = Array.from({ length: 40 }, (_, seq) =>
      makeRecord({ seq, gateway: 'g3', errors: 1, error_kinds: { [`E${seq}: boom`]: 1 } }),
    );

    await ingestor.applyBatch({ agent_id: 'c', server_id: 's', records });

    const [bucket] = (await store.getMany([bucketKey('g3')])) as StoredBucket[];
    assert.equal(Object.keys(bucket!.errorKinds).length, 33);
    assert.equal(bucket!.errorKinds.other, 8);
    assert.equal(bucket!.errors, 40);
  });

  it('keeps stored error kinds by name when new kinds pass the limit', async () => {
    const first = makeRecord({ seq: 100, gateway: 'g5', errors: 1, error_kinds: { 'Old: 1': 1 } });
    await ingestor.applyBatch({ agent_id: 'k', server_id: 's', records: [first] });
    const kinds = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`New: ${i}`, 1]));
    const second = makeRecord({
      seq: 101,
      gateway: 'g5',
      errors: 40,
      count: 40,
      error_kinds: kinds,
    });

    await ingestor.applyBatch({ agent_id: 'k', server_id: 's', records: [second] });

    const [bucket] = (await store.getMany([bucketKey('g5')])) as StoredBucket[];
    assert.equal(bucket!.errorKinds['Old: 1'], 1);
    assert.equal(bucket!.errorKinds.other, 9);
  });

  it('waits for every queued batch on onIdle', async () => {
    const pending = ingestor.applyLegacyBatch({
      server_id: 'legacy',
      batch_timestamp: '',
      metrics: [
        {
          gateway: 'g4',
          endpoint: 'charge',
          server_id: 'legacy',
          timestamp: '2024-01-01T00:00:00',
          duration_ms: 1,
          success: true,
          error: null,
          tags: null,
        },
      ],
    });

    await ingestor.onIdle();

    const [bucket] = (await store.getMany([bucketKey('g4', 'legacy')])) as StoredBucket[];
    assert.equal(bucket!.count, 1);
    assert.equal((await pending).applied_count, 1);
  });
});

describe('Ingestor when a write fails', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = await makeTempDir('tps-collector-failing-');
    store = await Store.open(dir);
  });

  after(async () => {
    await store.close();
    await removeDir(dir);
  });

  it('stores neither figures nor markers, so the retried batch applies', async () => {
    let failures = 1;
    const flaky = Object.create(store) as Store;
    flaky.write = async (operations: PutOperation[]) => {
      if (failures-- > 0) throw new Error('disk full');
      return store.write(operations);
    };
    const ingestor = new Ingestor(flaky, silent, () => 1);
    const batch = {
      agent_id: 'f',
      server_id: 's',
      records: [makeRecord({ seq: 1, gateway: 'gf' })],
    };

    await assert.rejects(ingestor.applyBatch(batch), /disk full/);
    assert.deepEqual(await store.getMany([bucketKey('gf'), appliedKey('f', 1)]), [
      undefined,
      undefined,
    ]);
    const retry = await ingestor.applyBatch(batch);

    assert.equal(retry.applied_count, 1);
    const [bucket] = (await store.getMany([bucketKey('gf')])) as StoredBucket[];
    assert.equal(bucket!.count, 1);
  });
});
