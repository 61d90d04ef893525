import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorAnswer, MetricRecord } from '../../src/protocol/types.js';
import {
  getJson,
  makeRecord,
  postJson,
  startTestCollector,
  type TestCollector,
} from './harness.js';

describe('collector answers bad requests naming the field', () => {
  let test: TestCollector;
  let base: string;

  before(async () => {
    test = await startTestCollector({ bodyLimitBytes: 64 * 1024 });
    base = test.collector.url;
  });

  after(async () => {
    await test.cleanup();
  });

  async function batchError(body: unknown): Promise<string> {
    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/metrics/batch`, body);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.status, 'error');

    return answer.body.error;
  }

  function batchWith(record: unknown, index = 3): unknown {
    const records: unknown[] = [1, 2, 3].map((seq) => makeRecord({ seq }));
    records.splice(index, 0, record);

    return { agent_id: 'a', server_id: 's', records };
  }

  it('names a negative count by its index', async () => {
    const error = await batchError(batchWith(makeRecord({ seq: 4, count: -1 })));

    assert.equal(error, 'records[3].count must be >= 0');
  });

  it('names a missing field of a record', async () => {
    const record: Partial<MetricRecord> = makeRecord({ seq: 4 });
    delete record.sketch;

    assert.equal(await batchError(batchWith(record, 1)), 'records[1].sketch is required');
  });

  it('names a missing top-level field', async () => {
    assert.equal(await batchError({ server_id: 's', records: [] }), 'agent_id is required');
  });

  it('takes a count of "5" as the wrong type rather than coercing it', async () => {
    const error = await batchError(batchWith({ ...makeRecord({ seq: 4 }), count: '5' }, 0));

    assert.equal(error, 'records[0].count must be integer');
  });

  it('refuses control characters in names', async () => {
    const record = makeRecord({ seq: 4, gateway: 'pay\u0000ments' });

    assert.equal(
      await batchError(batchWith(record, 2)),
      'records[2].gateway must not contain control characters',
    );
    assert.equal(
      await batchError({ agent_id: 'a\u001f', server_id: 's', records: [] }),
      'agent_id must not contain control characters',
    );
  });

  it('names a tag key with control characters, and a tag value of the wrong type', async () => {
    const badKey = makeRecord({ seq: 4, tags: { 'ok\u0007': 'x' } });
    const badValue = { ...makeRecord({ seq: 4 }), tags: { 'a b': 3 } };

    assert.equal(
      await batchError(batchWith(badKey, 0)),
      'records[0].tags key "ok\\u0007" must not contain control characters',
    );
    assert.equal(await batchError(batchWith(badValue, 0)), 'records[0].tags["a b"] must be string');
  });

  it('names a sketch that is not base64', async () => {
    const error = await batchError(batchWith(makeRecord({ seq: 4, sketch: 'not base64!' }), 0));

    assert.equal(error, 'records[0].sketch must be base64');
  });

  it('names a batch that is not an object', async () => {
    assert.equal(await batchError([1, 2]), 'body must be object');
  });

  it('answers invalid JSON with 400', async () => {
    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/metrics/batch`, '{"agent_id":');

    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { status: 'error', error: 'body is not valid JSON' });
  });

  it('answers an empty JSON body with 400', async () => {
    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/metrics/batch`, '');

    assert.equal(answer.status, 400);
    assert.equal(answer.body.status, 'error');
  });

  it('answers a body over the limit with 413', async () => {
    const records = Array.from({ length: 400 }, (_, seq) => makeRecord({ seq }));

    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/metrics/batch`, {
      agent_id: 'a',
      server_id: 's',
      records,
    });

    assert.equal(answer.status, 413);
    assert.equal(answer.body.status, 'error');
  });

  it('names a heartbeat field out of range', async () => {
    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/agent/heartbeat`, {
      agent_id: 'a',
      server_id: 's',
      timestamp: '2024-01-01T00:00:00Z',
      heartbeat_interval_seconds: 0,
      pending: 0,
    });

    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'heartbeat_interval_seconds must be > 0');
  });

  it('names a missing field of the older heartbeat', async () => {
    const answer = await postJson<ErrorAnswer>(`${base}/api/v1/agent/heartbeat`, {
      server_id: 's',
      status: 'ok',
    });

    assert.equal(answer.body.error, 'timestamp is required');
  });

  it('names a missing gateway query parameter', async () => {
    const answer = await getJson<ErrorAnswer>(`${base}/api/v1/tps?endpoint=x`);

    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      status: 'error',
      error: 'gateway query parameter is required',
    });
  });

  it('names a from parameter that is not epoch milliseconds', async () => {
    const answer = await getJson<ErrorAnswer>(`${base}/api/v1/tps?gateway=g&from=yesterday`);

    assert.equal(answer.status, 400);
    assert.equal(
      answer.body.error,
      'from query parameter must be epoch milliseconds as decimal digits',
    );
  });

  it('names a from parameter given twice', async () => {
    const answer = await getJson<ErrorAnswer>(`${base}/api/v1/tps?gateway=g&from=1&from=2`);

    assert.equal(answer.body.error, 'from query parameter must be string');
  });

  it('refuses from after to', async () => {
    const answer = await getJson<ErrorAnswer>(`${base}/api/v1/tps?gateway=g&from=5000&to=4000`);

    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'from (5000) must be <= to (4000)');
  });
});

describe('collector routes', () => {
  let test: TestCollector;

  before(async () => {
    test = await startTestCollector();
  });

  after(async () => {
    await test.cleanup();
  });

  it('answers health', async () => {
    const answer = await getJson(`${test.collector.url}/api/v1/health`);

    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'healthy' });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const answer = await getJson<ErrorAnswer>(`${test.collector.url}/api/v2/nothing?x=1`);

    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, { status: 'error', error: 'no route GET /api/v2/nothing' });
  });

  it('answers a known path with the wrong method with 404', async () => {
    const answer = await postJson<ErrorAnswer>(`${test.collector.url}/api/v1/health`, {});

    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'no route POST /api/v1/health');
  });
});
