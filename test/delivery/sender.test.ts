import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import { startTestCollector, waitFor, type TestCollector } from '../helpers/collector.js';
import {
  ackAll,
  startScriptedCollector,
  type ScriptedCollector,
} from '../helpers/scripted-collector.js';
import { delay, drain, keepProcessAlive, makeDrafts, startSender } from './fixtures.js';

/** Every record seq the scripted collector received, in arrival order. */
function seqsReceived(server: ScriptedCollector): number[] {
  return server.batches().flatMap((batch) => batch.records.map((record) => record.seq));
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

describe('Sender with a real collector', () => {
  let collector: TestCollector;
  let release: () => void;
  before(async () => {
    collector = await startTestCollector();
    release = keepProcessAlive();
  });
  after(async () => {
    release();
    await collector.dispose();
  });

  it('delivers every record once and deletes what was acknowledged', async () => {
    const rig = await startSender(collector.url, { batchSize: 10 });
    await rig.log.append(makeDrafts(25, 'real-once'));

    await drain(rig.sender);

    assert.deepEqual((await collector.tps('real-once')).total, { count: 25, errors: 0 });
    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.equal(rig.log.counts().sent, 25);
    const stats = rig.sender.stats();
    assert.equal(stats.state, 'idle');
    assert.ok(stats.lastTransmission !== null);
    assert.equal(stats.failedSends, 0);
    await rig.dispose();
  });

  it('keeps up to concurrency batches in flight and delivers each record once', async () => {
    const rig = await startSender(collector.url, { batchSize: 10, concurrency: 4 });
    await rig.log.append(makeDrafts(200, 'real-concurrent'));

    await drain(rig.sender);

    assert.deepEqual((await collector.tps('real-concurrent')).total, { count: 200, errors: 0 });
    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.equal(rig.sender.stats().duplicatesAcknowledged, 0);
    await rig.dispose();
  });

  // Closing fastify ends its idle keep-alive connections, so the client usually drops them
  // before the next send; the scripted test below forces the reset on a reused connection.
  it('gets past a keep-alive connection that died with a restarted collector', async () => {
    const own = await startTestCollector();
    const { port } = new URL(own.url);
    const rig = await startSender(own.url, { breakAfterFailures: 1, maxRetries: 0 });
    await rig.append(5);
    await drain(rig.sender);

    await own.collector.close();
    const restarted = await startCollector({ port: Number(port), dataDir: own.dataDir });
    await rig.append(5);
    const startedMs = Date.now();
    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.ok(Date.now() - startedMs < 1500, 'no backoff');
    assert.equal(rig.sender.stats().failedSends, 0);
    assert.equal(rig.sender.stats().state, 'idle', 'the breaker (1 failure) stayed closed');
    await rig.dispose();
    await restarted.close();
    await own.dispose();
  });
});

describe('Sender with a scripted collector', () => {
  let server: ScriptedCollector;
  let release: () => void;
  before(() => {
    release = keepProcessAlive();
  });
  after(async () => {
    release();
    await server?.close();
  });

  async function freshServer(): Promise<ScriptedCollector> {
    await server?.close();
    server = await startScriptedCollector();
    return server;
  }

  it('drains a backlog in seq order, back to back, in one call', async () => {
    await freshServer();
    const rig = await startSender(server.url, { batchSize: 10 });
    await rig.append(55);

    await drain(rig.sender);

    assert.equal(server.batches().length, 6);
    assert.deepEqual(seqsReceived(server), range(1, 55));
    await rig.dispose();
  });

  it('never has more than concurrency batches in flight, and no record in two', async () => {
    await freshServer();
    server.handle((request) => ({ ...ackAll(request.body), delayMs: 50 }));
    const rig = await startSender(server.url, { batchSize: 10, concurrency: 3 });
    await rig.append(120);

    await drain(rig.sender);

    assert.ok(server.maxInFlight <= 3, `max in flight ${server.maxInFlight}`);
    assert.ok(server.maxInFlight > 1, 'batches overlapped');
    assert.deepEqual(
      seqsReceived(server).sort((a, b) => a - b),
      range(1, 120),
    );
    assert.deepEqual(await rig.pendingSeqs(), []);
    await rig.dispose();
  });

  it('deletes exactly the seqs the ack names and counts duplicates', async () => {
    await freshServer();
    server.handle((request) => {
      const { body } = ackAll(request.body);
      const [first = 0, ...rest] = body.applied_seqs ?? [];
      // The first record was applied before; the last is left out of the ack.
      return {
        status: 200,
        body: { ...body, applied_seqs: rest.slice(0, -1), duplicate_seqs: [first] },
      };
    });
    const rig = await startSender(server.url, { batchSize: 5 });
    await rig.append(10);

    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), [5, 6, 7, 8, 9, 10], 'one batch, then it stops');
    assert.equal(rig.sender.stats().duplicatesAcknowledged, 1);
    assert.equal(rig.logger.matching('did not name every record').length, 1);
    await rig.dispose();
  });

  it('deletes the whole batch when an older collector names no seqs', async () => {
    await freshServer();
    server.handle(() => ({
      status: 200,
      body: { status: 'success', received_count: 5, applied_count: 3, duplicate_count: 2 },
    }));
    const rig = await startSender(server.url, { batchSize: 5 });
    await rig.append(5);

    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.equal(rig.sender.stats().duplicatesAcknowledged, 2);
    await rig.dispose();
  });

  it('retries a reset on a reused connection once, at once, without counting it', async () => {
    await freshServer();
    server.handle((request) =>
      request.requestOnConnection === 2 ? 'reset' : ackAll(request.body),
    );
    const rig = await startSender(server.url, { maxRetries: 0, breakAfterFailures: 1 });
    await rig.append(10);
    await drain(rig.sender);
    await rig.append(10);

    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.equal(server.requests.length, 3, 'the batch, the reset, the quick retry');
    assert.equal(rig.sender.stats().failedSends, 0);
    assert.equal(rig.sender.stats().state, 'idle');
    await rig.dispose();
  });

  it('drains the backlog in seq order once the collector is back from an outage', async () => {
    await freshServer();
    server.handle(() => ({ status: 503, body: { status: 'error', error: 'down' } }));
    const rig = await startSender(server.url, {
      batchSize: 10,
      breakAfterFailures: 2,
      halfOpenAfterMs: 200,
    });
    await rig.append(45);
    await drain(rig.sender);
    await drain(rig.sender);
    assert.equal(rig.sender.stats().state, 'open');
    const before = server.requests.length;

    server.handle((request) => ackAll(request.body));
    // No requestSend: the sender wakes for its probe by itself.
    await waitFor(async () => (await rig.pendingSeqs()).length === 0);

    const after = server.batches().slice(before);
    assert.equal(after.length, 5);
    assert.deepEqual(
      after.flatMap((batch) => batch.records.map((record) => record.seq)),
      range(1, 45),
    );
    assert.equal(rig.sender.stats().state, 'idle');
    assert.equal(rig.sender.stats().probes, 1);
    await rig.dispose();
  });

  it('stops at once while a drain sleeps in backoff', async () => {
    await freshServer();
    server.handle(() => ({ status: 500, body: { status: 'error', error: 'boom' } }));
    const rig = await startSender(server.url, {
      maxRetries: 5,
      initialDelayMs: 10_000,
      maxDelayMs: 10_000,
    });
    await rig.append(5);
    rig.sender.requestSend();
    await waitFor(() => server.requests.length === 1);
    await delay(50);

    const startedMs = Date.now();
    await rig.sender.stop();

    assert.ok(Date.now() - startedMs < 1000, 'stop() did not wait for the backoff');
    assert.equal(rig.sender.stats().state, 'stopped');
    assert.deepEqual(await rig.pendingSeqs(), [1, 2, 3, 4, 5]);
    await rig.dispose();
  });

  it("lets an acknowledged batch's delete land before stop() returns", async () => {
    await freshServer();
    const rig = await startSender(server.url);
    await rig.append(5);
    const originalDelete = rig.log.delete.bind(rig.log);
    let isDeleting = false;
    rig.log.delete = async (seqs, reason) => {
      isDeleting = true;
      await delay(200);
      return originalDelete(seqs, reason);
    };
    rig.sender.requestSend();
    await waitFor(() => isDeleting);

    await rig.sender.stop();
    await rig.log.close();

    assert.equal(rig.log.counts().sent, 5);
    await rig.dispose();
  });
});
