import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_BATCH_ITEMS, MAX_NAME_LENGTH, MAX_TAGS } from '../../src/protocol/schemas.js';
import type { BatchAck, ErrorAnswer, TpsAnswer } from '../../src/protocol/types.js';
import {
  getJson,
  makeRecord,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

const T0 = 1_704_067_200_000;

describe('collector compatibility and limits', () => {
  let test: TestCollector;
  let batchUrl: string;

  before(async () => {
    test = await startTestCollector();
    batchUrl = `${test.collector.url}/api/v1/metrics/batch`;
  });

  after(async () => {
    await test.cleanup();
  });

  async function total(gateway: string): Promise<TpsAnswer['total']> {
    const url = `${test.collector.url}/api/v1/tps?gateway=${encodeURIComponent(gateway)}`;
    const answer = await getJson<TpsAnswer>(`${url}&from=${T0}&to=${T0 + 60_000}`);

    return answer.body.total;
  }

  it('accepts fields it does not know, so newer agents can add them', async () => {
    const record = { ...makeRecord({ seq: 1, gateway: 'compat-1' }), region: 'eu' };

    const ack = await postJson<BatchAck>(batchUrl, {
      agent_id: 'a',
      server_id: 's',
      records: [record],
      format_version: 2,
    });

    assert.equal(ack.status, 200);
    assert.equal(ack.body.applied_count, 1);
  });

  it('accepts JSON with a charset parameter', async () => {
    const body = { agent_id: 'a', server_id: 's', records: [makeRecord({ seq: 2 })] };

    const ack = await postJson<BatchAck>(batchUrl, body, {
      'content-type': 'application/json; charset=utf-8',
    });

    assert.equal(ack.status, 200);
  });

  it('answers a body of another media type with 415 in the error shape', async () => {
    const answer = await postJson<ErrorAnswer>(batchUrl, '<batch/>', {
      'content-type': 'application/xml',
    });

    assert.equal(answer.status, 415);
    assert.equal(answer.body.status, 'error');
    assert.match(answer.body.error, /media type/i);
  });

  it('keeps names with any printable character apart and queryable', async () => {
    const gateway = 'pay / "eu" ✓ 支付';
    const records = [
      makeRecord({ seq: 3, gateway, endpoint: 'POST /v1/charges?x=1&y=2' }),
      makeRecord({ seq: 4, gateway: `${gateway} 2` }),
    ];

    await postJson(batchUrl, { agent_id: 'a', server_id: 's', records });

    assert.deepEqual(await total(gateway), { count: 1, errors: 0 });
    const url = `${test.collector.url}/api/v1/tps?gateway=${encodeURIComponent(gateway)}`;
    const endpoint = encodeURIComponent('POST /v1/charges?x=1&y=2');
    const filtered = await getJson<TpsAnswer>(`${url}&endpoint=${endpoint}&from=${T0}&to=${T0}`);
    assert.equal(filtered.body.total.count, 1);
  });

  it('refuses more tags than the limit, naming the field', async () => {
    const tags = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, 'v']));

    const answer = await postJson<ErrorAnswer>(batchUrl, {
      agent_id: 'a',
      server_id: 's',
      records: [makeRecord({ seq: 5, tags })],
    });

    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error,
      `records[0].tags must NOT have more than ${MAX_TAGS} properties`,
    );
  });

  it('refuses a name over the length limit', async () => {
    const answer = await postJson<ErrorAnswer>(batchUrl, {
      agent_id: 'a',
      server_id: 's',
      records: [makeRecord({ seq: 6, endpoint: 'e'.repeat(MAX_NAME_LENGTH + 1) })],
    });

    assert.equal(
      answer.body.error,
      `records[0].endpoint must NOT have more than ${MAX_NAME_LENGTH} characters`,
    );
  });

  it('refuses an empty name', async () => {
    const answer = await postJson<ErrorAnswer>(batchUrl, {
      agent_id: 'a',
      server_id: '',
      records: [],
    });

    assert.equal(answer.body.error, 'server_id must NOT have fewer than 1 characters');
  });

  it('takes as many records as the agent may send in one batch, and no more', async () => {
    const record = makeRecord({ gateway: 'compat-max' });
    const records = Array.from({ length: MAX_BATCH_ITEMS + 1 }, (_, seq) => ({ ...record, seq }));

    const tooMany = await postJson<ErrorAnswer>(batchUrl, {
      agent_id: 'm',
      server_id: 's',
      records,
    });
    const most = await postJson<BatchAck>(batchUrl, {
      agent_id: 'm',
      server_id: 's',
      records: records.slice(0, MAX_BATCH_ITEMS),
    });

    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error, `records must NOT have more than ${MAX_BATCH_ITEMS} items`);
    assert.equal(most.body.applied_count, MAX_BATCH_ITEMS);
    assert.equal((await total('compat-max')).count, MAX_BATCH_ITEMS);
  });

  it('takes a per-call batch with tags and nulls as the older agents send them', async () => {
    const ack = await postJson<BatchAck>(batchUrl, {
      server_id: 'py-1',
      batch_timestamp: '2024-01-01T00:00:05.123456',
      metrics: [
        {
          gateway: 'compat-legacy',
          endpoint: '/pay',
          server_id: 'py-1',
          timestamp: '2024-01-01T00:00:05.123456',
          duration_ms: 12.75,
          success: false,
          error: 'ConnectionError: refused',
          tags: { region: 'eu', retries: 2, canary: false },
        },
      ],
    });

    assert.equal(ack.status, 200);
    assert.deepEqual(await total('compat-legacy'), { count: 1, errors: 1 });
  });
});
