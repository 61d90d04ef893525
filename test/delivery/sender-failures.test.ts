import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { waitFor } from '../helpers/collector.js';
import {
  ackAll,
  startScriptedCollector,
  type ScriptedCollector,
  type ScriptedRequest,
} from '../helpers/scripted-collector.js';
import { storageError } from '../../src/wal/storage.js';
import { delay, drain, keepProcessAlive, startSender, type SenderRig } from './fixtures.js';

// A healthy collector cannot answer 429, 401 or 400, reset or hang on demand: these tests use
// the scripted server of test/helpers/scripted-collector.ts.
describe('Sender facing a misbehaving collector', () => {
  let server: ScriptedCollector;
  let rig: SenderRig | undefined;
  let release: () => void;
  before(() => {
    release = keepProcessAlive();
  });
  beforeEach(async () => {
    await rig?.dispose();
    rig = undefined;
    await server?.close();
    server = await startScriptedCollector();
  });
  after(async () => {
    await rig?.dispose();
    await server?.close();
    release();
  });

  const error = (text: string) => ({ status: 'error', error: text });

  it('holds every drain for the Retry-After wait, then delivers', async () => {
    let throttledAtMs = 0;
    server.handle((request) => {
      if (server.batches().length !== 3) return ackAll(request.body);
      throttledAtMs = Date.now();
      return { status: 429, body: error('slow down'), headers: { 'retry-after': '1' } };
    });
    rig = await startSender(server.url, { batchSize: 10, concurrency: 3 });
    await rig.append(100);

    rig.sender.requestSend();
    await waitFor(() => rig?.sender.stats().state === 'paused');
    const { pausedUntil } = rig.sender.stats();
    assert.ok(pausedUntil !== null);
    const untilMs = Date.parse(pausedUntil);
    assert.ok(untilMs >= throttledAtMs + 900 && untilMs <= throttledAtMs + 1200, pausedUntil);
    for (let i = 0; i < 5; i += 1) rig.sender.requestSend();
    await waitFor(async () => (await rig?.pendingSeqs())?.length === 0, 8000);

    // Requests already on the wire when the 429 left may still arrive; none may start later.
    const early = server.requests.filter(
      (r) => r.atMs > throttledAtMs + 150 && r.atMs < throttledAtMs + 900,
    );
    assert.deepEqual(early, [], 'nothing was sent during the pause');
    assert.equal(rig.sender.stats().pausedUntil, null);
    assert.equal(rig.sender.stats().failedSends, 0);
    assert.equal(rig.logger.matching('asked us to wait').length, 1);
  });

  it('cuts a long Retry-After to maxRetryAfterMs', async () => {
    let isThrottled = false;
    server.handle((request) => {
      if (isThrottled) return ackAll(request.body);
      isThrottled = true;
      return { status: 503, body: error('maintenance'), headers: { 'retry-after': '86400' } };
    });
    rig = await startSender(server.url, { maxRetryAfterMs: 300 });
    await rig.append(5);

    await drain(rig.sender);
    const { pausedUntil, state } = rig.sender.stats();
    assert.equal(state, 'paused');
    assert.ok(Date.parse(pausedUntil ?? '') <= Date.now() + 300);

    await waitFor(async () => (await rig?.pendingSeqs())?.length === 0);
  });

  it('quarantines a batch the collector rejects, logs once, and keeps the rest flowing', async () => {
    const detail = 'records[3].count must be >= 0';
    server.handle((request) =>
      server.batches().length === 2 ? { status: 422, body: error(detail) } : ackAll(request.body),
    );
    rig = await startSender(server.url, { batchSize: 10, breakAfterFailures: 1 });
    await rig.append(30);

    await drain(rig.sender);

    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.equal(rig.log.counts().sent, 20);
    const stats = rig.sender.stats();
    assert.equal(stats.rejectedRecords, 10);
    assert.equal(stats.state, 'idle', 'a rejection does not open the breaker');
    assert.equal(stats.failedSends, 0);
    const lines = rig.logger.matching('rejected a batch');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.detail, detail);
    assert.equal(lines[0]?.status, 422);
    assert.equal(server.requests.length, 3, 'the rejected batch was not retried');
    const quarantined = await rig.log.readQuarantine(100);
    assert.deepEqual(
      quarantined.map((entry) => entry.seq),
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    );
    assert.ok(quarantined.every((entry) => entry.reason === 'rejected' && entry.detail === detail));
    assert.equal(rig.log.counts().rejected, 10);
  });

  for (const status of [400, 404, 409, 413]) {
    it(`quarantines on ${status} without a retry`, async () => {
      server.handle(() => ({ status, body: error(`refused with ${status}`) }));
      rig = await startSender(server.url, { batchSize: 5, maxRetries: 3 });
      await rig.append(5);

      await drain(rig.sender);

      assert.equal(server.requests.length, 1);
      assert.deepEqual(await rig.pendingSeqs(), []);
      assert.equal(rig.sender.stats().rejectedRecords, 5);
      assert.equal((await rig.log.readQuarantine(10))[0]?.detail, `refused with ${status}`);
    });
  }

  it('obeys a Retry-After given as an HTTP date', async () => {
    let isThrottled = false;
    server.handle((request) => {
      if (isThrottled) return ackAll(request.body);
      isThrottled = true;
      // Two seconds ahead: HTTP dates have whole seconds, so the wait is 1 to 2 s.
      const at = new Date(Date.now() + 2000).toUTCString();
      return { status: 503, body: error('deploying'), headers: { 'retry-after': at } };
    });
    rig = await startSender(server.url);
    await rig.append(5);

    await drain(rig.sender);
    const pausedUntil = Date.parse(rig.sender.stats().pausedUntil ?? '');
    assert.ok(pausedUntil > Date.now() + 500, rig.sender.stats().pausedUntil ?? 'null');

    await waitFor(async () => (await rig?.pendingSeqs())?.length === 0, 5000);
    const [first, second] = server.requests;
    assert.ok((second?.atMs ?? 0) - (first?.atMs ?? 0) >= 900);
  });

  for (const status of [401, 403]) {
    it(`stops on ${status}, tries again once a period, and recovers by itself`, async () => {
      let isRefusing = true;
      server.handle((request) =>
        isRefusing ? { status, body: error('bad credentials') } : ackAll(request.body),
      );
      rig = await startSender(server.url, {
        batchSize: 10,
        concurrency: 4,
        halfOpenAfterMs: 300,
        maxRetries: 3,
      });
      await rig.append(40);

      await drain(rig.sender);
      assert.equal(rig.sender.stats().state, 'auth-failed');
      assert.equal(rig.sender.stats().isAuthFailed, true);
      for (let i = 0; i < 30; i += 1) {
        rig.sender.requestSend();
        await delay(30);
      }

      // About 0.9 s refused: the first request plus at most one probe per 300 ms.
      assert.ok(server.requests.length <= 5, `${server.requests.length} requests`);
      assert.equal((await rig.pendingSeqs()).length, 40, 'nothing deleted');
      assert.equal(rig.logger.matching('refused our credentials').length, 1);

      isRefusing = false;
      await waitFor(async () => (await rig?.pendingSeqs())?.length === 0);
      const stats = rig.sender.stats();
      assert.equal(stats.isAuthFailed, false);
      assert.equal(stats.failedSends, 0);
      assert.equal(stats.rejectedRecords, 0);
    });
  }

  it('lets a dead collector see at most one probe per open period, at any concurrency', async () => {
    // Every connection is reset: before the breaker opens, each attempt also gets its quick
    // retry; a probe must not.
    server.handle(() => 'reset');
    rig = await startSender(server.url, {
      batchSize: 10,
      concurrency: 4,
      breakAfterFailures: 2,
      halfOpenAfterMs: 300,
    });
    await rig.append(100);
    for (let i = 0; i < 4; i += 1) rig.sender.requestSend();
    await waitFor(() => rig?.sender.stats().state === 'open');
    // Requests already on the wire when the breaker opened arrive within this pause; the first
    // probe is due only after halfOpenAfterMs.
    await delay(50);
    const openedAtMs = Date.now();
    const before = server.requests.length;

    for (let i = 0; i < 50; i += 1) {
      rig.sender.requestSend();
      await delay(30);
    }
    const elapsedMs = Date.now() - openedAtMs;

    const { probes } = rig.sender.stats();
    const received = server.requests.length - before;
    assert.ok(probes <= Math.floor(elapsedMs / 300) + 1, `${probes} probes in ${elapsedMs} ms`);
    assert.ok(probes >= 1, 'it does probe');
    // The last probe may still be on its way; nothing but probes reached the server.
    assert.ok(received <= probes, `${received} requests for ${probes} probes`);
    assert.equal((await rig.pendingSeqs()).length, 100);
    assert.equal(rig.logger.matching('breaker open, one probe').length, 1);
  });

  it('retries 5xx with backoff and counts the batch failed after maxRetries', async () => {
    server.handle(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    rig = await startSender(server.url, { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40 });
    await rig.append(5);

    await drain(rig.sender);

    assert.equal(server.requests.length, 3);
    const times = server.requests.map((r: ScriptedRequest) => r.atMs);
    assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 9, 'the first retry waited its backoff');
    const stats = rig.sender.stats();
    assert.equal(stats.failedSends, 1);
    assert.match(stats.lastError ?? '', /502/);
    assert.equal((await rig.pendingSeqs()).length, 5);
  });

  it('counts timeouts towards the breaker', async () => {
    server.handle(() => 'hang');
    rig = await startSender(server.url, { requestTimeoutMs: 100, breakAfterFailures: 2 });
    await rig.append(5);

    await drain(rig.sender);
    await drain(rig.sender);

    const stats = rig.sender.stats();
    assert.equal(stats.state, 'open');
    assert.equal(stats.failedSends, 2);
    assert.match(stats.lastError ?? '', /did not answer within 100 ms/);
  });
});

// A real LevelDB cannot be made to fail one delete on demand: this test replaces the log's
// delete with one that fails twice before handing over to the real one.
describe('Sender facing a log that cannot delete what the collector acknowledged', () => {
  let server: ScriptedCollector;
  let rig: SenderRig | undefined;
  let release: () => void;
  before(async () => {
    release = keepProcessAlive();
    server = await startScriptedCollector();
  });
  after(async () => {
    await rig?.dispose();
    await server.close();
    release();
  });

  it('holds sending, longer after each failure, says why, and deletes once it can', async () => {
    server.handle((request) => ackAll(request.body));
    rig = await startSender(server.url, { batchSize: 10, halfOpenAfterMs: 500 });
    await rig.append(10);
    const { log } = rig;
    const realDelete = log.delete.bind(log);
    let failures = 0;
    log.delete = async (...args: Parameters<typeof log.delete>) => {
      if (failures === 2) return realDelete(...args);
      failures += 1;
      throw storageError('/wal', 'cannot delete', new Error('Corruption: block checksum mismatch'));
    };

    rig.sender.requestSend();
    await waitFor(() => failures === 1);
    const held = rig.sender.stats();
    // Asked again and again while held: a loop of resends would show as batches here.
    for (let i = 0; i < 10; i += 1) {
      rig.sender.requestSend();
      await delay(10);
    }
    const sentWhileHeld = server.batches().length;
    await waitFor(async () => (await rig?.pendingSeqs())?.length === 0, 5000);

    assert.equal(held.state, 'paused');
    assert.match(held.lastError ?? '', /acknowledged records could not be deleted: .*checksum/);
    assert.equal(sentWhileHeld, 1);
    // 500 ms after the first failure, 1 s after the second, then the delete goes through.
    assert.equal(server.batches().length, 3);
    assert.equal(failures, 2);
    // Logged as an error once; the failures after it in the same streak at debug level (20).
    const levels = rig.logger.matching('could not be deleted').map((line) => line.level);
    assert.deepEqual(levels, [50, 20]);
    assert.equal(rig.sender.stats().lastError, null);
  });
});
