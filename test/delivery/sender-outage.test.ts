import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCollector, type Collector } from '../../src/collector/index.js';
import { startTestCollector, waitFor, type TestCollector } from '../helpers/collector.js';
import { drain, keepProcessAlive, makeDrafts, startSender } from './fixtures.js';

// Exactly once against the real collector, through what a healthy collector does on its own:
// going away and coming back, and an acknowledgement the agent did not get to act on.
describe('Sender through outages, with a real collector', () => {
  let release: () => void;
  before(() => {
    release = keepProcessAlive();
  });
  after(() => release());

  it('counts every record once when a lost delete makes it resend', async () => {
    const collector = await startTestCollector();
    // A failed delete holds sending for halfOpenAfterMs (docs/delivery.md): kept short here.
    const rig = await startSender(collector.url, { batchSize: 10, halfOpenAfterMs: 100 });
    await rig.log.append(makeDrafts(20, 'lost-ack'));
    const originalDelete = rig.log.delete.bind(rig.log);
    let isLosing = true;
    // As if the agent crashed between the ack and the delete: the records stay in the log.
    rig.log.delete = (seqs, reason) =>
      isLosing
        ? Promise.reject(new Error('crashed before the delete'))
        : originalDelete(seqs, reason);

    await drain(rig.sender);
    assert.equal((await rig.pendingSeqs()).length, 20);
    isLosing = false;
    // The sender wakes by itself once the hold is over.
    await waitFor(async () => (await rig.pendingSeqs()).length === 0, 5000);

    assert.deepEqual(await rig.pendingSeqs(), []);
    assert.deepEqual((await collector.tps('lost-ack')).total, { count: 20, errors: 0 });
    assert.equal(rig.sender.stats().duplicatesAcknowledged, 10, 'the first batch came again');
    await rig.dispose();
    await collector.dispose();
  });

  it('keeps the backlog through an outage and delivers it once when the collector is back', async () => {
    const first: TestCollector = await startTestCollector();
    const { port } = new URL(first.url);
    const rig = await startSender(first.url, {
      batchSize: 10,
      breakAfterFailures: 2,
      halfOpenAfterMs: 200,
    });
    await rig.log.append(makeDrafts(5, 'outage'));
    await drain(rig.sender);
    await first.collector.close();

    // Down: the port refuses connections. Two failed rounds open the breaker.
    await rig.log.append(makeDrafts(35, 'outage'));
    await drain(rig.sender);
    await drain(rig.sender);
    assert.equal(rig.sender.stats().state, 'open');
    assert.equal((await rig.pendingSeqs()).length, 35);

    const second: Collector = await startCollector({ port: Number(port), dataDir: first.dataDir });
    // No call from the test: the sender wakes for its probe and drains the backlog.
    await waitFor(async () => (await rig.pendingSeqs()).length === 0);

    assert.deepEqual((await first.tps('outage')).total, { count: 40, errors: 0 });
    const stats = rig.sender.stats();
    assert.equal(stats.state, 'idle');
    assert.ok(stats.probes >= 1);
    assert.equal(stats.failedSends, 2);
    await rig.dispose();
    await second.close();
    await first.dispose();
  });
});
