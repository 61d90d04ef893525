import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../src/collector/index.js';
import { encodeSketch } from '../../src/protocol/sketch.js';
import type { BatchAck, MetricBatch, TpsAnswer } from '../../src/protocol/types.js';
import { DDSketch } from '@datadog/sketches-js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import {
  getJson,
  makeRecord,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

const T0 = 1_704_067_200_000;
const range = `from=${T0 - 60_000}&to=${T0 + 60_000}`;

function batchUrl(collector: Collector): string {
  return `${collector.url}/api/v1/metrics/batch`;
}

async function tps(collector: Collector, query: string): Promise<TpsAnswer> {
  const answer = await getJson<TpsAnswer>(`${collector.url}/api/v1/tps?${query}&${range}`);
  assert.equal(answer.status, 200);

  return answer.body;
}

function range1to100(): number[] {
  return Array.from({ length: 100 }, (_, i) => i + 1);
}

describe('collector ingest of MetricBatch', () => {
  let test: TestCollector;

  before(async () => {
    test = await startTestCollector();
  });

  after(async () => {
    await test.cleanup();
  });

  it('stores a batch and answers its counts, errors and percentiles', async () => {
    const batch: MetricBatch = {
      agent_id: 'agent-a',
      server_id: 'srv-1',
      records: [
        makeRecord(
          { seq: 1, gateway: 'g-sum', errors: 4, error_kinds: { 'E: x': 4 } },
          range1to100(),
        ),
        makeRecord({ seq: 2, gateway: 'g-sum', t: T0 + 1000 }, [5, 5]),
      ],
    };

    const ack = await postJson<BatchAck>(batchUrl(test.collector), batch);

    assert.equal(ack.status, 200);
    assert.deepEqual(ack.body, {
      status: 'success',
      received_count: 2,
      applied_count: 2,
      duplicate_count: 0,
      applied_seqs: [1, 2],
      duplicate_seqs: [],
    });
    const answer = await tps(test.collector, 'gateway=g-sum');
    assert.deepEqual(answer.total, { count: 102, errors: 4 });
    assert.deepEqual(
      answer.points.map((p) => [p.t, p.count, p.errors]),
      [
        [T0, 100, 4],
        [T0 + 1000, 2, 0],
      ],
    );
    const first = answer.points[0]!;
    assert.ok(Math.abs(first.p50_ms! - 50) <= 1.5, `p50 ${first.p50_ms}`);
    assert.ok(Math.abs(first.p95_ms! - 95) <= 2, `p95 ${first.p95_ms}`);
    assert.ok(Math.abs(first.p99_ms! - 99) <= 2, `p99 ${first.p99_ms}`);
  });

  it('sums records of the same second and series, across batches', async () => {
    const url = batchUrl(test.collector);
    const base = { agent_id: 'agent-b', server_id: 'srv-1' };
    await postJson(url, {
      ...base,
      records: [makeRecord({ seq: 1, gateway: 'g-same', t: T0 + 250 }, [10, 20])],
    });
    await postJson(url, {
      ...base,
      records: [
        makeRecord({ seq: 2, gateway: 'g-same', errors: 1, error_kinds: { 'E: y': 1 } }, [30]),
        makeRecord({ seq: 3, gateway: 'g-same', endpoint: 'refund' }, [40]),
      ],
    });

    const answer = await tps(test.collector, 'gateway=g-same');

    assert.equal(answer.points.length, 1);
    assert.deepEqual(answer.total, { count: 4, errors: 1 });
    assert.equal(answer.points[0]!.t, T0);
    // DDSketch takes rank q * (n - 1) and rounds down: p99 of 10, 20, 30, 40 is about 30.
    assert.ok(Math.abs(answer.points[0]!.p99_ms! - 30) <= 0.6);
    const charge = await tps(test.collector, 'gateway=g-same&endpoint=charge');
    assert.deepEqual(charge.total, { count: 3, errors: 1 });
  });

  it('acknowledges a batch sent twice without applying it again', async () => {
    const batch: MetricBatch = {
      agent_id: 'agent-c',
      server_id: 'srv-1',
      records: [1, 2, 3].map((seq) => makeRecord({ seq, gateway: 'g-dup' }, [seq])),
    };

    const first = await postJson<BatchAck>(batchUrl(test.collector), batch);
    const second = await postJson<BatchAck>(batchUrl(test.collector), batch);

    assert.equal(first.body.applied_count, 3);
    assert.deepEqual(second.body, {
      status: 'success',
      received_count: 3,
      applied_count: 0,
      duplicate_count: 3,
      applied_seqs: [],
      duplicate_seqs: [1, 2, 3],
    });
    assert.deepEqual((await tps(test.collector, 'gateway=g-dup')).total, { count: 3, errors: 0 });
  });

  it('applies only the new records of a partly repeated batch', async () => {
    const url = batchUrl(test.collector);
    const records = [1, 2, 3, 4].map((seq) => makeRecord({ seq, gateway: 'g-part' }));
    await postJson(url, { agent_id: 'agent-d', server_id: 's', records: records.slice(0, 2) });

    const ack = await postJson<BatchAck>(url, { agent_id: 'agent-d', server_id: 's', records });

    assert.equal(ack.body.applied_count, 2);
    assert.equal(ack.body.duplicate_count, 2);
    assert.deepEqual(ack.body.applied_seqs, [3, 4]);
    assert.deepEqual(ack.body.duplicate_seqs, [1, 2]);
    assert.equal((await tps(test.collector, 'gateway=g-part')).total.count, 4);
  });

  it('counts a seq repeated inside one batch once', async () => {
    const records = [
      makeRecord({ seq: 7, gateway: 'g-rep' }),
      makeRecord({ seq: 7, gateway: 'g-rep' }),
    ];

    const ack = await postJson<BatchAck>(batchUrl(test.collector), {
      agent_id: 'agent-e',
      server_id: 's',
      records,
    });

    assert.deepEqual([ack.body.applied_count, ack.body.duplicate_count], [1, 1]);
    // The repeat is named a duplicate, so each list is as long as its count.
    assert.deepEqual([ack.body.applied_seqs, ack.body.duplicate_seqs], [[7], [7]]);
    assert.equal((await tps(test.collector, 'gateway=g-rep')).total.count, 1);
  });

  it('keeps seqs of different agents apart', async () => {
    const url = batchUrl(test.collector);
    const records = [makeRecord({ seq: 1, gateway: 'g-agents' })];

    await postJson(url, { agent_id: 'agent-f', server_id: 's', records });
    const other = await postJson<BatchAck>(url, { agent_id: 'agent-g', server_id: 's', records });

    assert.equal(other.body.applied_count, 1);
    assert.equal((await tps(test.collector, 'gateway=g-agents')).total.count, 2);
  });

  it('applies 20 concurrent batches of one agent exactly', async () => {
    const batches = Array.from({ length: 20 }, (_, i) => ({
      agent_id: 'agent-h',
      server_id: 'srv-1',
      records: [
        makeRecord({ seq: 2 * i, gateway: 'g-conc', errors: 1 }, [1, 2, 3]),
        makeRecord({ seq: 2 * i + 1, gateway: 'g-conc', t: T0 + 1000 }, [4]),
      ],
    }));

    const acks = await Promise.all(
      batches.map((batch) => postJson<BatchAck>(batchUrl(test.collector), batch)),
    );

    assert.ok(acks.every((ack) => ack.status === 200 && ack.body.applied_count === 2));
    const answer = await tps(test.collector, 'gateway=g-conc');
    assert.deepEqual(answer.total, { count: 80, errors: 20 });
    assert.deepEqual(
      answer.points.map((p) => p.count),
      [60, 20],
    );
  });

  it('names each seq applied by exactly one of many overlapping batches in flight', async () => {
    // 30 batches of 10 seqs each, starting 3 apart: every seq is in up to 4 batches at once.
    const batches = Array.from({ length: 30 }, (_, i) => ({
      agent_id: 'agent-overlap',
      server_id: 'srv-1',
      records: Array.from({ length: 10 }, (_, j) =>
        makeRecord({ seq: 3 * i + j + 1, gateway: 'g-overlap' }, [j + 1]),
      ),
    }));

    const acks = await Promise.all(
      batches.map((batch) => postJson<BatchAck>(batchUrl(test.collector), batch)),
    );

    const applied = acks.flatMap((ack) => ack.body.applied_seqs ?? []);
    const distinct = new Set(batches.flatMap((batch) => batch.records.map((r) => r.seq)));
    assert.equal(applied.length, distinct.size, 'no seq is applied twice');
    assert.deepEqual(new Set(applied), distinct);
    for (const [i, ack] of acks.entries()) {
      const sent = batches[i]!.records.map((r) => r.seq);
      const named = [...ack.body.applied_seqs!, ...ack.body.duplicate_seqs!];
      assert.deepEqual(
        named.sort((a, b) => a - b),
        sent,
        'every seq sent is named once',
      );
      assert.equal(ack.body.applied_count, ack.body.applied_seqs!.length);
      assert.equal(ack.body.duplicate_count, ack.body.duplicate_seqs!.length);
    }
    const total = (await tps(test.collector, 'gateway=g-overlap')).total.count;
    assert.equal(total, distinct.size);
  });

  it('answers an empty batch with zero counts', async () => {
    const ack = await postJson<BatchAck>(batchUrl(test.collector), {
      agent_id: 'agent-i',
      server_id: 's',
      records: [],
    });

    assert.deepEqual(ack.body, {
      status: 'success',
      received_count: 0,
      applied_count: 0,
      duplicate_count: 0,
      applied_seqs: [],
      duplicate_seqs: [],
    });
  });

  it('counts records of every tag set and filters them by server', async () => {
    const url = batchUrl(test.collector);
    await postJson(url, {
      agent_id: 'agent-j',
      server_id: 'srv-a',
      records: [
        makeRecord({ seq: 1, gateway: 'g-tags', tags: { b: '2', a: '1' } }),
        makeRecord({ seq: 2, gateway: 'g-tags', tags: { a: '1', b: '2' } }),
        makeRecord({ seq: 3, gateway: 'g-tags', tags: { region: 'eu west/1 "x"' } }),
      ],
    });
    await postJson(url, {
      agent_id: 'agent-k',
      server_id: 'srv-b',
      records: [makeRecord({ seq: 1, gateway: 'g-tags' })],
    });

    const all = await tps(test.collector, 'gateway=g-tags');
    const srvA = await tps(test.collector, 'gateway=g-tags&server_id=srv-a');

    assert.equal(all.total.count, 4);
    assert.equal(srvA.total.count, 3);
  });
});

describe('collector ingest rejects records it cannot apply', () => {
  let test: TestCollector;

  before(async () => {
    test = await startTestCollector();
  });

  after(async () => {
    await test.cleanup();
  });

  async function rejects(records: unknown[]): Promise<string> {
    const answer = await postJson<{ status: string; error: string }>(batchUrl(test.collector), {
      agent_id: 'agent-bad',
      server_id: 's',
      records,
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.status, 'error');

    return answer.body.error;
  }

  it('names an undecodable sketch and applies nothing of the batch', async () => {
    const good = makeRecord({ seq: 1, gateway: 'g-bad' });
    const bad = makeRecord({ seq: 2, gateway: 'g-bad', sketch: 'AAAA' });

    const error = await rejects([good, bad]);

    assert.match(error, /^records\[1\]\.sketch is not a DDSketch/);
    const answer = await tps(test.collector, 'gateway=g-bad');
    assert.deepEqual(answer.total, { count: 0, errors: 0 });
  });

  it('rejects a sketch of another relative accuracy', async () => {
    const coarse = new DDSketch({ relativeAccuracy: 0.05 });
    coarse.accept(3);

    const error = await rejects([makeRecord({ seq: 3, sketch: encodeSketch(coarse) })]);

    assert.equal(error, 'records[0].sketch must have relative accuracy 0.01');
  });

  it('rejects more errors than calls', async () => {
    const error = await rejects([makeRecord({ seq: 4, count: 1, errors: 2 })]);

    assert.equal(error, 'records[0].errors must be <= records[0].count');
  });

  it('does not mark a rejected record as applied', async () => {
    await rejects([makeRecord({ seq: 5, gateway: 'g-retry', sketch: 'AAAA' })]);

    const ack = await postJson<BatchAck>(batchUrl(test.collector), {
      agent_id: 'agent-bad',
      server_id: 's',
      records: [makeRecord({ seq: 5, gateway: 'g-retry' })],
    });

    assert.equal(ack.body.applied_count, 1);
  });
});

describe('collector storage across restarts', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await makeTempDir('tps-collector-restart-');
  });

  after(async () => {
    await removeDir(dataDir);
  });

  it('keeps figures and applied markers after a restart on the same data dir', async () => {
    const batch: MetricBatch = {
      agent_id: 'agent-r',
      server_id: 'srv-1',
      records: [makeRecord({ seq: 1, gateway: 'g-restart', errors: 1 }, [7, 8])],
    };
    const first = await startTestCollector({ dataDir });
    await postJson(batchUrl(first.collector), batch);
    await first.collector.close();

    const second = await startTestCollector({ dataDir });
    try {
      const answer = await tps(second.collector, 'gateway=g-restart');
      const again = await postJson<BatchAck>(batchUrl(second.collector), batch);

      assert.deepEqual(answer.total, { count: 2, errors: 1 });
      assert.equal(again.body.duplicate_count, 1);
      assert.deepEqual((await tps(second.collector, 'gateway=g-restart')).total, answer.total);
    } finally {
      await second.collector.close();
    }
  });
});
