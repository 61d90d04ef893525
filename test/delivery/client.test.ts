import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CollectorClient } from '../../src/delivery/index.js';
import { HttpStatusError } from '../../src/errors.js';

/**
 * A real HTTP server that answers whatever the test sets, for the answers a healthy collector
 * never gives on demand (a proxy's HTML page, a wrong body, a hang).
 */
describe('CollectorClient', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string; delayMs?: number };
  let lastBody = '';

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        lastBody = body;
        setTimeout(() => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
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

    await assert.rejects(client.postBatch(batch), { name: 'AbortError' });
    client.close();
  });
});
