import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAgent, measureTps, type Agent } from '../../src/index.js';
import { useCollectorAndWorkDir, waitFor } from '../helpers/collector.js';
import { withRaw } from './fixtures/raw.js';

/**
 * A proxy to the collector that, while `isLosingAnswers`, passes each batch on and then drops
 * the connection: the collector has applied the batch, the agent never hears so.
 */
class LossyProxy {
  isLosingAnswers = true;
  private readonly server: Server;

  constructor(private readonly target: () => string) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on(
        'end',
        () => void this.pass(request.method ?? 'GET', request.url ?? '/', chunks, response),
      );
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async pass(
    method: string,
    url: string,
    chunks: Buffer[],
    response: ServerResponse,
  ): Promise<void> {
    const body = method === 'POST' ? Buffer.concat(chunks) : undefined;
    const headers = { 'content-type': 'application/json' };
    const answer = await fetch(this.target() + url, { method, headers, body });
    const text = await answer.text();
    if (this.isLosingAnswers && url.includes('batch')) {
      response.socket?.destroy();
      return;
    }
    response.writeHead(answer.status, headers).end(text);
  }
}

describe('an agent whose identity key is lost while records it sent stay pending', () => {
  const env = useCollectorAndWorkDir('tps-identity-scenario-');
  const proxy = new LossyProxy(() => env.collector.url);
  before(() => proxy.listen());
  after(() => proxy.close());

  function agentAt(dataDir: string): Agent {
    return createAgent(dataDir, {
      collectorUrl: proxy.url,
      serverId: 'identity',
      flushIntervalMs: 60_000,
      transmissionIntervalSeconds: 0.1,
      requestTimeoutMs: 2000,
      maxRetries: 0,
    });
  }

  it('counts 100 calls as 100 after restarting, not 200', async () => {
    const dataDir = join(env.workDir, 'agent');
    const first = agentAt(dataDir);
    await first.ready();
    const call = measureTps({ agent: first, gateway: 'identity-gw', endpoint: 'e' })(() => 1);
    for (let i = 0; i < 100; i++) call();
    await first.flush();
    await waitFor(async () => (await env.collector.tps('identity-gw')).total.count === 100);
    await first.close({ timeoutMs: 200 });
    const before = first.getStats();
    assert.ok(before.localMetricsCount > 0, 'the applied records stay pending, unacknowledged');

    await withRaw(join(dataDir, 'wal'), (db) => db.del('m!agent-id'));
    proxy.isLosingAnswers = false;
    const second = agentAt(dataDir);
    await second.ready();
    await waitFor(() => second.getStats().localMetricsCount === 0);
    const afterStats = second.getStats();
    await second.close();

    assert.equal(afterStats.agentId, before.agentId, 'the identity comes back from its file');
    assert.equal((await env.collector.tps('identity-gw')).total.count, 100);
    assert.ok(afterStats.duplicatesAcknowledged > 0, 'the collector knew them as duplicates');
  });
});
