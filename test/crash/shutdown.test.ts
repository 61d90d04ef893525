import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startCollector,
  type BatchAppliedEvent,
  type Collector,
  type CollectorOptions,
} from '../../src/collector/index.js';
import { createAgent, measureTps, type Agent } from '../../src/index.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { AgentProcess } from './agent-process.js';
import { countCalls } from './verify.js';

const SEED = 20_240_603;

/** Every batch the collector stored, in order. */
function startRecordingCollector(
  dataDir: string,
  events: BatchAppliedEvent[],
  hook?: (event: BatchAppliedEvent) => Promise<void>,
): Promise<Collector> {
  const options: CollectorOptions = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    onBatchApplied: async (event) => {
      events.push(event);
      await hook?.(event);
    },
  };

  return startCollector(options);
}

/**
 * `calls` calls spread over `endpoints` endpoints of gateway `gateway`, then one flush.
 *
 * @returns the records the flush appended
 */
async function makeCalls(agent: Agent, gateway: string, endpoints: number, calls: number) {
  for (let i = 0; i < calls; i += 1) {
    measureTps({ gateway, endpoint: `e${i % endpoints}`, agent })(() => i)();
  }

  return agent.flush();
}

/** How many times each seq reached the collector, and how often it was applied. */
function receipts(
  events: BatchAppliedEvent[],
): Map<number, { applied: number; duplicate: number }> {
  const bySeq = new Map<number, { applied: number; duplicate: number }>();
  const entry = (seq: number) =>
    bySeq.get(seq) ?? bySeq.set(seq, { applied: 0, duplicate: 0 }).get(seq)!;
  for (const { ack } of events) {
    for (const seq of ack.applied_seqs ?? []) entry(seq).applied += 1;
    for (const seq of ack.duplicate_seqs ?? []) entry(seq).duplicate += 1;
  }

  return bySeq;
}

describe('stopping an agent while sends are in flight', () => {
  let workDir: string;
  let collector: Collector | undefined;

  before(async () => {
    workDir = await makeTempDir('tps-crash-stop-');
  });

  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  after(async () => {
    await removeDir(workDir);
  });

  for (const senderConcurrency of [1, 4]) {
    it(`leaves nothing to resend (senderConcurrency ${senderConcurrency})`, async () => {
      const dir = join(workDir, `stop-${senderConcurrency}`);
      const events: BatchAppliedEvent[] = [];
      let releaseAnswers!: () => void;
      const isClosing = new Promise<void>((resolve) => (releaseAnswers = resolve));
      let sendInFlight!: () => void;
      const firstSend = new Promise<void>((resolve) => (sendInFlight = resolve));
      // Each answer waits until close() has been called: the sends are in flight at close.
      collector = await startRecordingCollector(join(dir, 'collector'), events, async () => {
        sendInFlight();
        await isClosing;
        await sleep(30);
      });
      const options = {
        collectorUrl: collector.url,
        flushIntervalMs: 60_000,
        transmissionIntervalSeconds: 0.05,
        batchSize: 5,
        senderConcurrency,
      };
      const agent = createAgent(join(dir, 'agent'), options);
      const appended = await makeCalls(agent, 'stop', 24, 240);

      await firstSend;
      const closed = agent.close({ timeoutMs: 5000 });
      releaseAnswers();
      await closed;

      const again = createAgent(join(dir, 'agent'), options);
      await again.ready();
      const pending = again.getStats().localMetricsCount;
      await again.close({ timeoutMs: 1000 });
      assert.equal(pending, 0, 'nothing is left to resend');
      assert.equal(await countCalls(collector.url, 'stop'), 240);
      const seqs = receipts(events);
      assert.equal(seqs.size, appended);
      assert.ok([...seqs.values()].every((seen) => seen.applied === 1 && seen.duplicate === 0));
    });
  }
});

describe('an agent killed between "applied" and "deleted"', () => {
  let workDir: string;
  let collector: Collector | undefined;

  before(async () => {
    workDir = await makeTempDir('tps-crash-applied-');
  });

  after(async () => {
    await collector?.close();
    await removeDir(workDir);
  });

  it('resends that batch once at the next start, and nothing is pending after', async () => {
    const events: BatchAppliedEvent[] = [];
    let victim: AgentProcess | undefined;
    collector = await startRecordingCollector(join(workDir, 'collector'), events, async () => {
      const child = victim;
      victim = undefined;
      if (child === undefined) return;
      child.kill();
      await child.exited;
    });
    const child = { dataDir: join(workDir, 'agent'), collectorUrl: collector.url, seed: SEED };

    victim = AgentProcess.start({ ...child, run: 0, batchSize: 100, maxBursts: 3 });
    const killed = await victim.exited;
    const killedSeqs = events[0]?.ack.applied_seqs ?? [];
    const next = AgentProcess.start({ ...child, run: 1, batchSize: 100, maxBursts: 0 });
    assert.equal(await next.until('drained', 30_000), true, next.stderr);
    // Ten transmission rounds: a resend loop would show here.
    await sleep(500);
    const exit = await next.stop();

    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(killedSeqs.length > 0);
    assert.ok(next.pendingAtReady >= killedSeqs.length, 'the applied batch was still in the log');
    const seen = receipts(events);
    for (const seq of killedSeqs) {
      assert.deepEqual(seen.get(seq), { applied: 1, duplicate: 1 }, `seq ${seq}`);
    }
    assert.equal(events.length, 2, 'one batch applied, one resent; no more');
    assert.deepEqual(events[1]!.ack.duplicate_seqs, killedSeqs);
    assert.deepEqual([exit.code, next.pendingAtClose], [0, 0]);
  });
});
