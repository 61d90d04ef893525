import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { BatchAppliedEvent } from '../../src/collector/index.js';
import type { BatchAck, MetricBatch, TpsAnswer } from '../../src/protocol/types.js';
import { waitFor } from '../helpers/collector.js';
import {
  getJson,
  makeRecord,
  manualClock,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

const T0 = 1_704_067_200_000;

function batchOf(seqs: number[], gateway = 'g-hook'): MetricBatch {
  return {
    agent_id: 'agent-hook',
    server_id: 'srv-1',
    records: seqs.map((seq) => makeRecord({ seq, gateway }, [seq])),
  };
}

async function countOf(test: TestCollector, gateway: string): Promise<number> {
  const url = `${test.collector.url}/api/v1/tps?gateway=${gateway}&from=${T0}&to=${T0 + 1000}`;

  return (await getJson<TpsAnswer>(url)).body.total.count;
}

describe('the onBatchApplied test hook', () => {
  let test: TestCollector | undefined;

  afterEach(async () => {
    await test?.cleanup();
  });

  it('runs after the batch is stored and before the answer is sent', async () => {
    const events: string[] = [];
    const seen: BatchAppliedEvent[] = [];
    test = await startTestCollector({
      onBatchApplied: async (event) => {
        seen.push(event);
        events.push(`stored ${await countOf(test!, 'g-hook')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        events.push('hook done');
      },
    });

    const answer = await postJson<BatchAck>(
      `${test.collector.url}/api/v1/metrics/batch`,
      batchOf([1, 2]),
    );
    events.push('answered');

    assert.equal(answer.status, 200);
    assert.deepEqual(events, ['stored 2', 'hook done', 'answered']);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.agentId, 'agent-hook');
    assert.equal(seen[0]!.serverId, 'srv-1');
    assert.deepEqual(seen[0]!.ack, answer.body);
  });

  it('answers 500 when it throws, though the batch stays stored once', async () => {
    let isFailing = true;
    test = await startTestCollector({
      onBatchApplied: () => {
        if (isFailing) throw new Error('answer lost');
      },
    });
    const url = `${test.collector.url}/api/v1/metrics/batch`;

    const lost = await postJson(url, batchOf([1, 2, 3]));
    isFailing = false;
    const resent = await postJson<BatchAck>(url, batchOf([1, 2, 3]));

    assert.equal(lost.status, 500);
    assert.deepEqual(resent.body.duplicate_seqs, [1, 2, 3]);
    assert.equal(await countOf(test, 'g-hook'), 3);
  });

  it('is not called for per-call batches', async () => {
    let calls = 0;
    test = await startTestCollector({ onBatchApplied: () => void (calls += 1) });

    const answer = await postJson(`${test.collector.url}/api/v1/metrics/batch`, {
      server_id: 'legacy',
      metrics: [],
    });

    assert.equal(answer.status, 200);
    assert.equal(calls, 0);
  });
});

describe('applied marker retention in the collector', () => {
  let test: TestCollector | undefined;

  afterEach(async () => {
    await test?.cleanup();
  });

  it('prunes markers past dedupeWindowMs on pruneMarkers()', async () => {
    const clock = manualClock(T0);
    test = await startTestCollector({ now: clock.now, dedupeWindowMs: 60_000 });
    const url = `${test.collector.url}/api/v1/metrics/batch`;
    await postJson(url, batchOf([1, 2], 'g-window'));
    clock.advance(30_000);
    await postJson(url, batchOf([3], 'g-window'));
    clock.advance(30_001);

    const pruned = await test.collector.pruneMarkers();
    const resent = await postJson<BatchAck>(url, batchOf([1, 2, 3], 'g-window'));

    assert.equal(pruned, 2);
    assert.deepEqual(resent.body.applied_seqs, [1, 2]);
    assert.deepEqual(resent.body.duplicate_seqs, [3]);
  });

  it('prunes in the background, every quarter of the window or at least every second', async () => {
    const clock = manualClock(T0);
    test = await startTestCollector({ now: clock.now, dedupeWindowMs: 1000 });
    const url = `${test.collector.url}/api/v1/metrics/batch`;
    await postJson(url, batchOf([1], 'g-background'));
    clock.advance(1001);

    await waitFor(async () => {
      const again = await postJson<BatchAck>(url, batchOf([1], 'g-background'));
      return again.body.applied_count === 1;
    }, 5000);
  });
});
