import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_RANGE_MS, resolveTpsQuery } from '../../src/collector/queries.js';
import type { TpsAnswer } from '../../src/protocol/types.js';
import {
  getJson,
  makeRecord,
  manualClock,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

const NOW = 1_704_067_200_000;

describe('GET /api/v1/tps', () => {
  const clock = manualClock(NOW);
  let test: TestCollector;

  async function tps(query: string): Promise<TpsAnswer> {
    const answer = await getJson<TpsAnswer>(`${test.collector.url}/api/v1/tps?${query}`);
    assert.equal(answer.status, 200);

    return answer.body;
  }

  before(async () => {
    test = await startTestCollector({ now: clock.now });
    const records = [
      makeRecord({ seq: 1, t: NOW - DEFAULT_RANGE_MS - 1000 }),
      makeRecord({ seq: 2, t: NOW - DEFAULT_RANGE_MS }),
      makeRecord({ seq: 3, t: NOW - 5000, endpoint: 'refund' }),
      makeRecord({ seq: 4, t: NOW - 5000, errors: 1 }),
      makeRecord({ seq: 5, t: NOW }),
      makeRecord({ seq: 6, t: NOW + 1000 }),
      makeRecord({ seq: 7, t: NOW, gateway: 'payments-eu' }),
      makeRecord({ seq: 8, t: NOW - 2000, duration_min_ms: 0, duration_max_ms: 0 }, []),
    ];
    await postJson(`${test.collector.url}/api/v1/metrics/batch`, {
      agent_id: 'q',
      server_id: 'srv-q',
      records,
    });
  });

  after(async () => {
    await test.cleanup();
  });

  it('covers the last hour by default, both ends included, sorted by time', async () => {
    const answer = await tps('gateway=payments');

    assert.deepEqual(
      answer.points.map((p) => [p.t, p.count, p.errors]),
      [
        [NOW - DEFAULT_RANGE_MS, 1, 0],
        [NOW - 5000, 2, 1],
        [NOW - 2000, 0, 0],
        [NOW, 1, 0],
      ],
    );
    assert.deepEqual(answer.total, { count: 4, errors: 1 });
  });

  it('answers null percentiles for a second without latencies', async () => {
    const answer = await tps('gateway=payments');
    const empty = answer.points.find((p) => p.t === NOW - 2000)!;

    assert.deepEqual([empty.p50_ms, empty.p95_ms, empty.p99_ms], [null, null, null]);
  });

  it('follows the injected clock', async () => {
    clock.advance(1000);
    try {
      const answer = await tps('gateway=payments');

      assert.equal(answer.points.at(-1)!.t, NOW + 1000);
      assert.equal(answer.points[0]!.t, NOW - 5000);
    } finally {
      clock.set(NOW);
    }
  });

  it('takes explicit bounds, inclusive', async () => {
    const answer = await tps(`gateway=payments&from=${NOW - 5000}&to=${NOW}`);

    assert.deepEqual(
      answer.points.map((p) => p.t),
      [NOW - 5000, NOW - 2000, NOW],
    );
  });

  it('includes the second whose start equals both bounds', async () => {
    const answer = await tps(`gateway=payments&from=${NOW}&to=${NOW}`);

    assert.equal(answer.total.count, 1);
  });

  it('filters by endpoint and by server', async () => {
    const refunds = await tps(`gateway=payments&endpoint=refund&from=0&to=${NOW}`);
    const otherServer = await tps(`gateway=payments&server_id=elsewhere&from=0&to=${NOW}`);

    assert.deepEqual(refunds.total, { count: 1, errors: 0 });
    assert.deepEqual(otherServer, { points: [], total: { count: 0, errors: 0 } });
  });

  it('keeps gateways apart even when one name starts with the other', async () => {
    const answer = await tps(`gateway=payments-eu&from=0&to=${NOW + 5000}`);

    assert.deepEqual(answer.total, { count: 1, errors: 0 });
  });

  it('answers an unknown gateway with no points', async () => {
    assert.deepEqual(await tps('gateway=nothing'), { points: [], total: { count: 0, errors: 0 } });
  });
});

describe('resolveTpsQuery', () => {
  it('defaults to to = now and from = one hour before to', () => {
    assert.deepEqual(resolveTpsQuery({ gateway: 'g' }, 5_000_000), {
      gateway: 'g',
      endpoint: undefined,
      serverId: undefined,
      fromMs: 5_000_000 - DEFAULT_RANGE_MS,
      toMs: 5_000_000,
    });
  });

  it('counts the default hour back from an explicit to, never before 0', () => {
    const query = resolveTpsQuery({ gateway: 'g', to: '1000' }, 9_000_000);

    assert.deepEqual([query.fromMs, query.toMs], [0, 1000]);
  });

  it('clamps to at the latest time a Date holds', () => {
    const query = resolveTpsQuery({ gateway: 'g', from: '0', to: '9999999999999999' }, 0);

    assert.equal(query.toMs, 8.64e15);
  });

  it('refuses from after to, naming both', () => {
    assert.throws(() => resolveTpsQuery({ gateway: 'g', from: '2', to: '1' }, 0), {
      code: 'ERR_TPS_PROTOCOL',
      field: 'from',
      message: 'from (2) must be <= to (1)',
    });
  });
});
