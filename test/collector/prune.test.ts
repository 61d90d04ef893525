import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Ingestor } from '../../src/collector/ingest.js';
import { appliedKey, appliedRange } from '../../src/collector/keys.js';
import {
  MarkerPruner,
  MAX_PRUNE_INTERVAL_MS,
  MIN_PRUNE_INTERVAL_MS,
  pruneIntervalMs,
} from '../../src/collector/prune.js';
import { Store } from '../../src/collector/store.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeRecord, manualClock, type ManualClock } from './harness.js';

const T0 = 1_704_067_200_000;
const WINDOW_MS = 60_000;
const silent = pino({ level: 'silent' });

async function markerKeys(store: Store): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key] of store.entries(appliedRange())) keys.push(key);

  return keys;
}

function batchOf(agentId: string, seqs: number[]) {
  return {
    agent_id: agentId,
    server_id: 's',
    records: seqs.map((seq) => makeRecord({ seq, gateway: 'g-prune' })),
  };
}

describe('pruneIntervalMs', () => {
  it('is a quarter of the window, between one second and one hour', () => {
    assert.equal(pruneIntervalMs(60_000), 15_000);
    assert.equal(pruneIntervalMs(1000), MIN_PRUNE_INTERVAL_MS);
    assert.equal(pruneIntervalMs(7 * 24 * 3_600_000), MAX_PRUNE_INTERVAL_MS);
  });
});

describe('MarkerPruner', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let ingestor: Ingestor;

  beforeEach(async () => {
    dir = await makeTempDir('tps-collector-prune-');
    store = await Store.open(dir);
    clock = manualClock(T0);
    ingestor = new Ingestor(store, silent, clock.now);
  });

  afterEach(async () => {
    await store.close();
    await removeDir(dir);
  });

  function pruner(stepSize?: number): MarkerPruner {
    return new MarkerPruner({
      store,
      logger: silent,
      now: clock.now,
      windowMs: WINDOW_MS,
      stepSize,
    });
  }

  it('deletes the markers older than the window and keeps the rest', async () => {
    await ingestor.applyBatch(batchOf('a', [1, 2]));
    await ingestor.applyBatch(batchOf('b', [1]));
    clock.advance(WINDOW_MS / 2);
    await ingestor.applyBatch(batchOf('a', [3]));
    clock.advance(WINDOW_MS / 2 + 1);

    const deleted = await pruner().prune();

    assert.equal(deleted, 3);
    assert.deepEqual(await markerKeys(store), [appliedKey('a', 3)]);
  });

  it('keeps a marker applied exactly at the horizon', async () => {
    await ingestor.applyBatch(batchOf('a', [1]));
    clock.advance(WINDOW_MS);

    assert.equal(await pruner().prune(), 0);
    assert.deepEqual(await markerKeys(store), [appliedKey('a', 1)]);
  });

  it('recognises a resent record within the window and applies it again after it', async () => {
    await ingestor.applyBatch(batchOf('a', [1]));
    clock.advance(WINDOW_MS - 1);
    await pruner().prune();

    const within = await ingestor.applyBatch(batchOf('a', [1]));
    clock.advance(2);
    await pruner().prune();
    const after = await ingestor.applyBatch(batchOf('a', [1]));

    assert.deepEqual(within.duplicate_seqs, [1]);
    assert.deepEqual(after.applied_seqs, [1], 'past the horizon a record counts again');
  });

  it('deletes in batches of at most the step size', async () => {
    for (const agent of ['a', 'b', 'c']) {
      await ingestor.applyBatch(batchOf(agent, [1, 2, 3, 4, 5, 6, 7]));
    }
    clock.advance(WINDOW_MS + 1);
    const batches: number[] = [];
    const remove = store.delete.bind(store);
    store.delete = async (keys) => {
      batches.push(keys.length);
      return remove(keys);
    };

    const deleted = await pruner(4).prune();

    assert.equal(deleted, 21);
    assert.ok(
      batches.every((size) => size <= 4),
      `batch sizes ${batches.join(',')}`,
    );
    assert.deepEqual(await markerKeys(store), []);
  });

  it('never holds up a batch, even while one of its steps waits', { timeout: 5000 }, async () => {
    await ingestor.applyBatch(
      batchOf(
        'a',
        Array.from({ length: 200 }, (_, i) => i + 1),
      ),
    );
    clock.advance(WINDOW_MS + 1);
    let steps = 0;
    let isPassDone = false;
    let releaseStep!: () => void;
    const stepHeld = new Promise<void>((resolve) => (releaseStep = resolve));
    const remove = store.delete.bind(store);
    store.delete = async (keys) => {
      steps += 1;
      if (steps === 2) await stepHeld;
      return remove(keys);
    };

    const pass = pruner(10)
      .prune()
      .finally(() => (isPassDone = true));
    const ack = await ingestor.applyBatch(batchOf('b', [1]));
    const wasPassDone = isPassDone;
    releaseStep();

    assert.deepEqual(ack.applied_seqs, [1]);
    assert.equal(wasPassDone, false, 'the batch was applied while the pass was held');
    assert.equal(await pass, 200);
    assert.ok(steps >= 20, `${steps} steps of at most 10`);
  });

  it('skips to the next agent at a fresh marker, and never deletes one early', async () => {
    await ingestor.applyBatch(batchOf('a', [1]));
    clock.advance(WINDOW_MS / 2);
    await ingestor.applyBatch(batchOf('a', [2]));
    await ingestor.applyBatch(batchOf('b', [1]));
    clock.advance(WINDOW_MS / 2 + 1);
    // Seq 3 was applied before seq 2 expired but sorts after it: it waits for a later pass.
    await store.write([{ key: appliedKey('a', 3), value: { appliedAt: T0 } }]);

    assert.equal(await pruner().prune(), 1);
    assert.deepEqual(await markerKeys(store), [
      appliedKey('a', 2),
      appliedKey('a', 3),
      appliedKey('b', 1),
    ]);
    clock.advance(WINDOW_MS / 2);
    assert.equal(await pruner().prune(), 3);
  });

  it('keeps markers it cannot read', async () => {
    await store.write([{ key: appliedKey('a', 1), value: { applied: 'yesterday' } }]);
    await ingestor.applyBatch(batchOf('a', [2]));
    clock.advance(WINDOW_MS + 1);

    assert.equal(await pruner().prune(), 1);
    assert.deepEqual(await markerKeys(store), [appliedKey('a', 1)]);
  });

  it('joins a pass already running', async () => {
    await ingestor.applyBatch(batchOf('a', [1, 2]));
    clock.advance(WINDOW_MS + 1);
    const one = pruner();

    const [first, second] = await Promise.all([one.prune(), one.prune()]);

    assert.deepEqual([first, second], [2, 2]);
  });

  it('ends a pass after its current step on stop()', async () => {
    await ingestor.applyBatch(
      batchOf(
        'a',
        Array.from({ length: 50 }, (_, i) => i + 1),
      ),
    );
    clock.advance(WINDOW_MS + 1);
    const one = pruner(5);

    const pass = one.prune();
    await one.stop();

    assert.ok((await pass) < 50);
    assert.equal((await markerKeys(store)).length, 50 - (await pass));
  });
});
