import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchAck, LegacyCallMetric, TpsAnswer } from '../../src/protocol/types.js';
import { prepareLegacyBatch } from '../../src/collector/legacy.js';
import { parseSeriesKey } from '../../src/collector/keys.js';
import { getJson, postJson, startTestCollector, type TestCollector } from './harness.js';

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);

function call(overrides: Partial<LegacyCallMetric> = {}): LegacyCallMetric {
  return {
    gateway: 'legacy-gw',
    endpoint: '/pay',
    server_id: 'srv-legacy',
    timestamp: '2024-01-01T00:00:00',
    duration_ms: 10,
    success: true,
    error: null,
    tags: null,
    ...overrides,
  };
}

describe('collector ingest of the per-call format', () => {
  let test: TestCollector;
  let batchUrl: string;

  before(async () => {
    test = await startTestCollector();
    batchUrl = `${test.collector.url}/api/v1/metrics/batch`;
  });

  after(async () => {
    await test.cleanup();
  });

  async function tps(query: string): Promise<TpsAnswer> {
    const url = `${test.collector.url}/api/v1/tps?${query}&from=${T0 - 10_000}&to=${T0 + 10_000}`;

    return (await getJson<TpsAnswer>(url)).body;
  }

  it('adds each call to its second, reading times without an offset as UTC', async () => {
    const metrics = [
      call({ timestamp: '2024-01-01T00:00:00' }),
      call({ timestamp: '2024-01-01T00:00:00.999999', duration_ms: 30 }),
      call({ timestamp: '2024-01-01T00:00:01.5', success: false, error: 'Timeout' }),
      call({ timestamp: '2024-01-01T00:00:02Z' }),
      call({ timestamp: '2024-01-01T01:00:02+01:00' }),
      call({ timestamp: '2023-12-31T23:00:02.000-01:00' }),
    ];

    const ack = await postJson<BatchAck>(batchUrl, {
      server_id: 'srv-legacy',
      batch_timestamp: '2024-01-01T00:00:03',
      metrics,
    });

    assert.equal(ack.status, 200);
    assert.deepEqual(ack.body, {
      status: 'success',
      received_count: 6,
      applied_count: 6,
      duplicate_count: 0,
    });
    const answer = await tps('gateway=legacy-gw');
    assert.deepEqual(
      answer.points.map((p) => [p.t, p.count, p.errors]),
      [
        [T0, 2, 0],
        [T0 + 1000, 1, 1],
        [T0 + 2000, 3, 0],
      ],
    );
    // Of 10 ms and 30 ms, DDSketch ranks q * (n - 1), rounded down: p50 is about 10 ms.
    assert.ok(Math.abs(answer.points[0]!.p50_ms! - 10) <= 0.2);
  });

  it('applies a per-call batch sent twice twice, as it has no identity', async () => {
    const body = { server_id: 's', batch_timestamp: 'x', metrics: [call({ gateway: 'legacy-2' })] };

    await postJson(batchUrl, body);
    const again = await postJson<BatchAck>(batchUrl, body);

    assert.equal(again.body.applied_count, 1);
    assert.equal((await tps('gateway=legacy-2')).total.count, 2);
  });

  it('uses the batch server_id for a call without one', async () => {
    const withoutServer: Partial<LegacyCallMetric> = call({ gateway: 'legacy-3' });
    delete withoutServer.server_id;

    await postJson(batchUrl, { server_id: 'batch-srv', metrics: [withoutServer] });

    assert.equal((await tps('gateway=legacy-3&server_id=batch-srv')).total.count, 1);
  });

  it('names a timestamp it cannot read and applies nothing', async () => {
    const metrics = [
      call({ gateway: 'legacy-4' }),
      call({ gateway: 'legacy-4', timestamp: '01/02/2024' }),
    ];

    const answer = await postJson<{ error: string }>(batchUrl, { server_id: 's', metrics });

    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error,
      'metrics[1].timestamp must be an ISO-8601 date-time, got "01/02/2024"',
    );
    assert.equal((await tps('gateway=legacy-4')).total.count, 0);
  });

  it('rejects a timestamp before 1970', async () => {
    const metrics = [call({ timestamp: '1969-12-31T23:59:59' })];

    const answer = await postJson<{ error: string }>(batchUrl, { server_id: 's', metrics });

    assert.equal(answer.body.error, 'metrics[0].timestamp must not be before 1970');
  });

  it('names a call field of the wrong type', async () => {
    const metrics = [call(), { ...call(), success: 'yes' }];

    const answer = await postJson<{ error: string }>(batchUrl, { server_id: 's', metrics });

    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'metrics[1].success must be boolean');
  });

  it('names an error field that is neither text nor null', async () => {
    const metrics = [{ ...call(), error: 42 }];

    const answer = await postJson<{ error: string }>(batchUrl, { server_id: 's', metrics });

    assert.equal(answer.body.error, 'metrics[0].error must be string or null');
  });
});

describe('prepareLegacyBatch', () => {
  it('counts failures under their error text, and unknown without one', () => {
    const buckets = prepareLegacyBatch({
      server_id: 's',
      batch_timestamp: '2024-01-01T00:00:00',
      metrics: [
        call({ success: false, error: 'Boom' }),
        call({ success: false, error: 'Boom' }),
        call({ success: false, error: null }),
        call({ success: true, error: 'ignored on success' }),
      ],
    });

    assert.equal(buckets.size, 1);
    const [bucket] = buckets.values();
    assert.equal(bucket!.count, 4);
    assert.equal(bucket!.errors, 3);
    assert.deepEqual(Object.fromEntries(bucket!.errorKinds), { Boom: 2, unknown: 1 });
  });

  it('keys tag sets apart and keeps number and boolean tag values as text', () => {
    const tags = { b: 2, a: true } as unknown as Record<string, string>;
    const buckets = prepareLegacyBatch({
      server_id: 's',
      batch_timestamp: '',
      metrics: [call({ tags }), call({ tags: null }), call({ tags: {} })],
    });

    const keys = [...buckets.keys()].map(parseSeriesKey);

    assert.deepEqual(
      keys.map((k) => k.tags),
      ['[["a","true"],["b","2"]]', '[]'],
    );
    assert.equal(buckets.get([...buckets.keys()][1]!)!.count, 2);
  });
});
