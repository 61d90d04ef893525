import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CollectorClient, RequestTimeoutError, RetryAfterError } from '../../src/delivery/index.js';
import { HttpStatusError } from '../../src/errors.js';

/**
 * A real HTTP server that answers whatever the test sets, for the answers a healthy collector
 * never gives on demand (a proxy's HTML page, a wrong body, a hang).
 */
describe('CollectorClient', () => {
  let server: Server;
  let url: string;
  let answer: {
    status: number;
    body: string;
    delayMs?: number;
    headers?: Record<string, string>;
  };
  let lastBody = '';

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        lastBody = body;
        setTimeout(() => {
          response.writeHead(answer.status, {
            'content-type': 'application/json',
            ...answer.headers,
          });
          response.end(answer.body);
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const batch = { agent_id: 'a', server_id: 's', records: [] };

  it('posts the batch as JSON and returns the acknowledgement', async () => {
    answer = {
      status: 200,
      body: '{"status":"success","received_count":0,"applied_count":0,"duplicate_count":0}',
    };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    const ack = await client.postBatch(batch);

    assert.equal(ack.status, 'success');
    assert.deepEqual(JSON.parse(lastBody), batch);
    client.close();
  });

  it("raises the collector's error text with the status", async () => {
    answer = { status: 400, body: '{"status":"error","error":"records[0].count must be >= 0"}' };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    await assert.rejects(client.postBatch(batch), (error: unknown) => {
      assert.ok(error instanceof HttpStatusError);
      assert.equal(error.status, 400);
      assert.equal(error.detail, 'records[0].count must be >= 0');
      assert.equal(error.code, 'ERR_TPS_HTTP');
      return true;
    });
    client.close();
  });

  it('keeps the start of a body that is not JSON', async () => {
    answer = { status: 502, body: '<html>bad gateway</html>' };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    await assert.rejects(client.postBatch(batch), {
      status: 502,
      detail: '<html>bad gateway</html>',
    });
    client.close();
  });

  it('refuses a 200 that is not an acknowledgement', async () => {
    answer = { status: 200, body: '{"ok":true}' };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    await assert.rejects(client.postBatch(batch), { code: 'ERR_TPS_PROTOCOL' });
    client.close();
  });

  it('gives up on a request that takes longer than requestTimeoutMs', async () => {
    answer = { status: 200, body: '{}', delayMs: 1000 };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 100 });

    await assert.rejects(client.postBatch(batch), (error: unknown) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.equal(error.code, 'ETIMEDOUT');
      return true;
    });
    client.close();
  });

  it("tells the caller's abort from a timeout", async () => {
    answer = { status: 200, body: '{}', delayMs: 1000 };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 5000 });

    await assert.rejects(client.postBatch(batch, AbortSignal.timeout(50)), { name: 'AbortError' });
    client.close();
  });

  it('reads Retry-After in seconds or as a date on 429 and 503 only', async () => {
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });
    const busy = '{"status":"error","error":"busy"}';

    answer = { status: 429, body: busy, headers: { 'retry-after': '7' } };
    await assert.rejects(client.postBatch(batch), (error: unknown) => {
      assert.ok(error instanceof RetryAfterError);
      assert.equal(error.retryAfterMs, 7000);
      assert.equal(error.detail, 'busy');
      return true;
    });

    const at = new Date(Date.now() + 60_000).toUTCString();
    answer = { status: 503, body: busy, headers: { 'retry-after': at } };
    await assert.rejects(client.postBatch(batch), (error: unknown) => {
      assert.ok(error instanceof RetryAfterError);
      assert.ok(error.retryAfterMs > 55_000 && error.retryAfterMs <= 60_000);
      return true;
    });

    answer = { status: 500, body: busy, headers: { 'retry-after': '7' } };
    await assert.rejects(client.postBatch(batch), (error: unknown) => {
      assert.ok(!(error instanceof RetryAfterError));
      return true;
    });
    client.close();
  });

  it('refuses a 2xx whose body is not JSON', async () => {
    answer = { status: 200, body: '<html>welcome</html>' };
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    await assert.rejects(client.postBatch(batch), { code: 'ERR_TPS_PROTOCOL' });
    client.close();
  });

  it('drops idle connections so that the next request opens a fresh one', async () => {
    answer = { status: 200, body: '' };
    let connections = 0;
    const count = () => (connections += 1);
    server.on('connection', count);
    const client = new CollectorClient({ collectorUrl: url, requestTimeoutMs: 1000 });

    await client.postHeartbeat({} as never);
    await client.postHeartbeat({} as never);
    assert.equal(connections, 1, 'keep-alive reuses the connection');
    client.dropIdleConnections();
    await client.postHeartbeat({} as never);

    assert.equal(connections, 2);
    server.off('connection', count);
    client.close();
  });
});
