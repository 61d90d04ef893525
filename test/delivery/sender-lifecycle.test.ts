import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CollectorClient, Sender } from '../../src/delivery/index.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { waitFor } from '../helpers/collector.js';
import {
  ackAll,
  startScriptedCollector,
  type ScriptedCollector,
} from '../helpers/scripted-collector.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { capturingLogger, delay, drain, keepProcessAlive, startSender } from './fixtures.js';

describe('Sender lifecycle', () => {
  let server: ScriptedCollector;
  let release: () => void;
  before(() => {
    release = keepProcessAlive();
  });
  beforeEach(async () => {
    await server?.close();
    server = await startScriptedCollector();
  });
  after(async () => {
    await server.close();
    release();
  });

  it('names the option and its range when one is out of range', async () => {
    const dir = await makeTempDir('tps-sender-');
    const log = await WriteAheadLog.open(join(dir, 'wal'));
    const client = new CollectorClient({ collectorUrl: server.url, requestTimeoutMs: 1000 });
    const base = { log, client, serverId: 's', batchSize: 10, logger: capturingLogger().logger };

    for (const concurrency of [0, 17, 1.5]) {
      assert.throws(() => new Sender({ ...base, concurrency }), {
        name: 'RangeError',
        message: `concurrency must be an integer from 1 to 16, received ${concurrency}`,
      });
    }
    assert.throws(() => new Sender({ ...base, batchSize: 0 }), /batchSize must be/);
    assert.throws(() => new Sender({ ...base, maxRetryAfterMs: 10, minRetryAfterMs: 50 }), {
      message: 'maxRetryAfterMs must be an integer >= 50, received 10',
    });

    await log.close();
    client.close();
    await removeDir(dir);
  });

  it('starts with one batch in flight and widens as full batches are acknowledged', async () => {
    server.handle((request) => ({
      ...ackAll(request.body),
      delayMs: server.requests.length === 1 ? 500 : 60,
    }));
    const rig = await startSender(server.url, { batchSize: 5, concurrency: 4 });
    await rig.append(100);

    rig.sender.requestSend();
    await waitFor(() => server.requests.length >= 1);
    await delay(100);
    assert.equal(server.requests.length, 1, 'one batch until the collector acknowledged one');
    await waitFor(async () => (await rig.pendingSeqs()).length === 0);

    assert.ok(server.maxInFlight >= 2 && server.maxInFlight <= 4, String(server.maxInFlight));
    await rig.dispose();
  });

  it('narrows back to one batch in flight once a batch fails', async () => {
    let isFailing = false;
    server.handle((request) =>
      isFailing ? { status: 500, body: {}, delayMs: 20 } : { ...ackAll(request.body), delayMs: 20 },
    );
    const rig = await startSender(server.url, { batchSize: 5, concurrency: 4 });
    await rig.append(200);
    rig.sender.requestSend();
    await waitFor(() => server.maxInFlight >= 2);

    isFailing = true;
    await waitFor(() => rig.sender.stats().failedSends > 0);
    await delay(100);
    const before = server.requests.length;
    for (let i = 0; i < 5; i += 1) rig.sender.requestSend();
    await delay(100);

    assert.ok(server.requests.length - before <= 2, 'one drain, and one queued after it');
    assert.ok(server.inFlight <= 1);
    await rig.dispose();
  });

  it('returns from drainUntil at its deadline while the collector hangs', async () => {
    server.handle(() => 'hang');
    const rig = await startSender(server.url, { requestTimeoutMs: 60_000, breakAfterFailures: 1 });
    await rig.append(5);

    const startedMs = Date.now();
    await rig.sender.drainUntil(AbortSignal.timeout(200));

    assert.ok(Date.now() - startedMs < 2000);
    const stats = rig.sender.stats();
    assert.equal(stats.failedSends, 0, 'an abort is not a failed send');
    assert.notEqual(stats.state, 'open', 'nor a breaker failure');
    assert.equal((await rig.pendingSeqs()).length, 5);
    await rig.dispose();
  });

  it('does nothing after stop(), and a second stop() returns at once', async () => {
    const rig = await startSender(server.url);
    await rig.append(5);
    await rig.sender.stop();
    await rig.sender.stop();

    rig.sender.requestSend();
    await rig.sender.drainUntil(AbortSignal.timeout(1000));
    await delay(50);

    assert.equal(server.requests.length, 0);
    assert.equal(rig.sender.stats().state, 'stopped');
    await rig.dispose();
  });

  it('never throws into the host when the log is closed under it', async () => {
    const rig = await startSender(server.url);
    await rig.append(5);
    await rig.log.close();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);

    rig.sender.requestSend();
    await drain(rig.sender);
    await delay(50);

    process.off('unhandledRejection', onRejection);
    assert.deepEqual(rejections, []);
    assert.equal(server.requests.length, 0);
    await rig.dispose();
  });

  it('logs a drain that failed on the log, and goes on with the next round', async () => {
    const rig = await startSender(server.url);
    await rig.append(5);
    const originalRead = rig.log.readOldest.bind(rig.log);
    let failures = 1;
    rig.log.readOldest = (limit, options) =>
      failures-- > 0 ? Promise.reject(new Error('disk on fire')) : originalRead(limit, options);

    await drain(rig.sender);
    assert.equal(rig.logger.matching('drain failed').length, 1);
    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), []);
    await rig.dispose();
  });
});
