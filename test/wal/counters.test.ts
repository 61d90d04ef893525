import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COUNTER_KEYS, LogCounters } from '../../src/wal/counters.js';

/** Collects the puts a chained batch would receive. */
function recordingBatch(): { puts: Map<string, string>; put(key: string, value: string): void } {
  const puts = new Map<string, string>();

  return { puts, put: (key, value) => puts.set(key, value) };
}

describe('LogCounters', () => {
  it('start at zero when no meta key exists', () => {
    const counters = LogCounters.fromMeta([]);

    assert.equal(counters.lastSeq, 0);
    assert.equal(counters.pending, 0);
    assert.equal(counters.stored, 0);
    assert.deepEqual(counters.deletedCounts(), { sent: 0, retention: 0 });
  });

  it('read each meta key in the order of COUNTER_KEYS', () => {
    assert.deepEqual(COUNTER_KEYS, [
      'm!last-seq',
      'm!pending',
      'm!stored',
      'm!deleted!sent',
      'm!deleted!retention',
    ]);

    const counters = LogCounters.fromMeta(['50', '7', '48', '40', '1']);

    assert.equal(counters.lastSeq, 50);
    assert.equal(counters.pending, 7);
    assert.equal(counters.stored, 48);
    assert.deepEqual(counters.deletedCounts(), { sent: 40, retention: 1 });
  });

  it('refuse a meta value that is not a non-negative integer, naming the key', () => {
    for (const bad of ['', ' ', '-1', '1.5', 'ten', '1e400']) {
      assert.throws(() => LogCounters.fromMeta(['1', bad]), /m!pending/);
    }
  });

  it('stage an append into the batch and change memory only on commit', () => {
    const counters = LogCounters.fromMeta(['10', '2', '10']);
    const batch = recordingBatch();

    const commit = counters.stageAppend(batch, 5);

    assert.deepEqual(Object.fromEntries(batch.puts), {
      'm!last-seq': '15',
      'm!pending': '7',
      'm!stored': '15',
    });
    assert.equal(counters.lastSeq, 10, 'memory waits for the write');

    commit();

    assert.equal(counters.lastSeq, 15);
    assert.equal(counters.pending, 7);
    assert.equal(counters.stored, 15);
  });

  it('stage a delete per reason and change memory only on commit', () => {
    const counters = LogCounters.fromMeta(['10', '8', '10', '2']);
    const batch = recordingBatch();

    const commit = counters.stageDelete(batch, 3, 'retention');

    assert.deepEqual(Object.fromEntries(batch.puts), {
      'm!pending': '5',
      'm!deleted!retention': '3',
    });
    assert.equal(counters.pending, 8, 'memory waits for the write');

    commit();

    assert.equal(counters.pending, 5);
    assert.deepEqual(counters.deletedCounts(), { sent: 2, retention: 3 });
  });

  it('hand out a frozen copy of the deleted counts', () => {
    const counters = LogCounters.fromMeta(['2', '1', '2', '1']);
    const counts = counters.deletedCounts();

    assert.ok(Object.isFrozen(counts));
    counters.stageDelete(recordingBatch(), 1, 'sent')();
    assert.equal(counts.sent, 1, 'the copy does not follow later deletes');
    assert.equal(counters.deletedCounts().sent, 2);
  });

  it('raise the last seq but never lower it', () => {
    const counters = LogCounters.fromMeta(['10']);

    counters.raiseLastSeq(4);
    assert.equal(counters.lastSeq, 10);
    counters.raiseLastSeq(12);
    assert.equal(counters.lastSeq, 12);
  });
});
