import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COUNTER_KEYS, DROP_REASONS, LogCounters } from '../../src/wal/counters.js';
import { countsOf } from './fixtures/raw.js';

/** Collects the puts a chained batch would receive. */
function recordingBatch(): { puts: Map<string, string>; put(key: string, value: string): void } {
  const puts = new Map<string, string>();

  return { puts, put: (key, value) => puts.set(key, value) };
}

/** Counters from meta values given by key name; missing keys count as 0. */
function fromKeys(values: Record<string, string>): LogCounters {
  return LogCounters.fromMeta(COUNTER_KEYS.map((key) => values[key]));
}

describe('LogCounters', () => {
  it('start at zero when no meta key exists', () => {
    const counters = LogCounters.fromMeta([]);

    assert.equal(counters.lastSeq, 0);
    assert.equal(counters.pending, 0);
    assert.equal(counters.pendingBytes, 0);
    assert.equal(counters.stored, 0);
    assert.equal(counters.quarantined, 0);
    assert.deepEqual(counters.droppedCounts(), countsOf({}));
  });

  it('read each meta key in the order of COUNTER_KEYS', () => {
    assert.deepEqual(COUNTER_KEYS, [
      'm!last-seq',
      'm!pending',
      'm!pending-bytes',
      'm!stored',
      'm!quarantined',
      'm!deleted!sent',
      'm!deleted!retention',
      'm!deleted!size',
      'm!deleted!rejected',
      'm!deleted!corrupt',
    ]);

    const counters = LogCounters.fromMeta(['50', '7', '3500', '48', '2', '30', '1', '5', '2', '3']);

    assert.equal(counters.lastSeq, 50);
    assert.equal(counters.pending, 7);
    assert.equal(counters.pendingBytes, 3500);
    assert.equal(counters.stored, 48);
    assert.equal(counters.quarantined, 2);
    assert.deepEqual(counters.droppedCounts(), {
      sent: 30,
      retention: 1,
      size: 5,
      rejected: 2,
      corrupt: 3,
    });
  });

  it('list the five drop reasons in the order counts() uses', () => {
    assert.deepEqual(DROP_REASONS, ['sent', 'retention', 'size', 'rejected', 'corrupt']);
  });

  it('refuse a meta value that is not a non-negative integer, naming the key', () => {
    for (const bad of ['', ' ', '-1', '1.5', 'ten', '1e400']) {
      assert.throws(() => LogCounters.fromMeta(['1', bad]), /m!pending/);
      assert.throws(() => fromKeys({ 'm!pending-bytes': bad }), /m!pending-bytes/);
    }
  });

  it('stage an append into the batch and change memory only on commit', () => {
    const counters = fromKeys({ 'm!last-seq': '10', 'm!pending': '2', 'm!stored': '10' });
    const batch = recordingBatch();

    const appended = { records: 5, lastSeq: 15 };
    const commit = counters.stage(batch, { appended, pending: 5, pendingBytes: 900 });

    assert.deepEqual(Object.fromEntries(batch.puts), {
      'm!last-seq': '15',
      'm!pending': '7',
      'm!pending-bytes': '900',
      'm!stored': '15',
    });
    assert.equal(counters.lastSeq, 10, 'memory waits for the write');

    commit();

    assert.equal(counters.lastSeq, 15);
    assert.equal(counters.pending, 7);
    assert.equal(counters.pendingBytes, 900);
    assert.equal(counters.stored, 15);
  });

  it('raise the last seq to an append’s last, never lower, and count every record stored', () => {
    // An append whose write failed leaves its seqs unused; the one after it has higher seqs.
    const counters = fromKeys({ 'm!last-seq': '10', 'm!stored': '10' });
    const past = counters.stage(recordingBatch(), { appended: { records: 3, lastSeq: 23 } });
    past();
    assert.equal(counters.lastSeq, 23);
    assert.equal(counters.stored, 13);

    const below = recordingBatch();
    counters.stage(below, { appended: { records: 2, lastSeq: 20 } })();
    assert.equal(counters.lastSeq, 23, 'never lowered');
    assert.equal(counters.stored, 15);
    assert.equal(Object.fromEntries(below.puts)['m!last-seq'], '23');
  });

  it('stage drops per reason and change memory only on commit', () => {
    const counters = fromKeys({
      'm!pending': '8',
      'm!pending-bytes': '800',
      'm!deleted!sent': '2',
    });
    const batch = recordingBatch();

    const commit = counters.stage(batch, {
      pending: -3,
      pendingBytes: -300,
      quarantined: 1,
      dropped: { retention: 2, rejected: 1 },
    });

    assert.deepEqual(Object.fromEntries(batch.puts), {
      'm!pending': '5',
      'm!pending-bytes': '500',
      'm!quarantined': '1',
      'm!deleted!retention': '2',
      'm!deleted!rejected': '1',
    });
    assert.equal(counters.pending, 8, 'memory waits for the write');

    commit();

    assert.equal(counters.pending, 5);
    assert.equal(counters.quarantined, 1);
    assert.deepEqual(counters.droppedCounts(), countsOf({ sent: 2, retention: 2, rejected: 1 }));
  });

  it('never stage a count of things present below zero', () => {
    const counters = fromKeys({ 'm!pending': '1', 'm!pending-bytes': '10' });
    const batch = recordingBatch();

    counters.stage(batch, { pending: -2, pendingBytes: -50, quarantined: -1 })();

    assert.equal(counters.pending, 0);
    assert.equal(counters.pendingBytes, 0);
    assert.equal(counters.quarantined, 0);
    assert.equal(batch.puts.get('m!pending'), '0');
  });

  it('stage a reset of every counter', () => {
    const counters = fromKeys({ 'm!last-seq': '3' });
    const batch = recordingBatch();
    const values = {
      lastSeq: 9,
      pending: 2,
      pendingBytes: 20,
      stored: 9,
      quarantined: 1,
      dropped: countsOf({ sent: 6, corrupt: 1 }),
    };

    const commit = counters.stageReset(batch, values);

    assert.equal(batch.puts.size, COUNTER_KEYS.length);
    assert.equal(batch.puts.get('m!deleted!corrupt'), '1');
    assert.equal(counters.lastSeq, 3, 'memory waits for the write');
    commit();
    assert.deepEqual(counters.snapshot(), values);
  });

  it('hand out a frozen copy of the dropped counts', () => {
    const counters = fromKeys({ 'm!pending': '1', 'm!deleted!sent': '1' });
    const counts = counters.droppedCounts();

    assert.ok(Object.isFrozen(counts));
    counters.stage(recordingBatch(), { pending: -1, dropped: { sent: 1 } })();
    assert.equal(counts.sent, 1, 'the copy does not follow later deletes');
    assert.equal(counters.droppedCounts().sent, 2);
  });

  it('raise the last seq but never lower it', () => {
    const counters = LogCounters.fromMeta(['10']);

    counters.raiseLastSeq(4);
    assert.equal(counters.lastSeq, 10);
    counters.raiseLastSeq(12);
    assert.equal(counters.lastSeq, 12);
  });
});
