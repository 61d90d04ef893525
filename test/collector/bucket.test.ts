import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Bucket,
  bucketIn,
  MAX_ERROR_KIND_LENGTH,
  MAX_ERROR_KINDS,
  OTHER_KIND,
} from '../../src/collector/bucket.js';
import { decodeSketch } from '../../src/protocol/sketch.js';
import { makeRecord } from './harness.js';

function recordBucket(durations: number[], errors = 0): Bucket {
  const record = makeRecord(
    { errors, error_kinds: errors > 0 ? { 'E: x': errors } : {} },
    durations,
  );
  const bucket = new Bucket();
  bucket.addRecord(record, decodeSketch(record.sketch));

  return bucket;
}

describe('Bucket', () => {
  it('sums records: counts, durations, min, max, sketch and error kinds', () => {
    const bucket = recordBucket([5, 15], 1);
    const record = makeRecord({ errors: 2, error_kinds: { 'E: x': 1, 'E: y': 1 } }, [1, 50]);

    bucket.addRecord(record, decodeSketch(record.sketch));

    assert.equal(bucket.count, 4);
    assert.equal(bucket.errors, 3);
    assert.equal(bucket.sumMs, 71);
    assert.deepEqual([bucket.minMs, bucket.maxMs], [1, 50]);
    assert.equal(bucket.sketch.count, 4);
    assert.deepEqual(Object.fromEntries(bucket.errorKinds), { 'E: x': 2, 'E: y': 1 });
  });

  it('ignores min and max of a record without calls', () => {
    const bucket = recordBucket([5]);
    const empty = makeRecord({ count: 0, duration_min_ms: 0, duration_max_ms: 999 }, []);

    bucket.addRecord(empty, decodeSketch(empty.sketch));

    assert.deepEqual([bucket.count, bucket.minMs, bucket.maxMs], [1, 5, 5]);
  });

  it('adds single calls, failures under their text', () => {
    const bucket = new Bucket();

    bucket.addCall(3);
    bucket.addCall(9, 'Boom');
    bucket.addCall(0, null);
    bucket.addCall(1, '');

    assert.deepEqual([bucket.count, bucket.errors, bucket.sumMs], [4, 3, 13]);
    assert.deepEqual([bucket.minMs, bucket.maxMs], [0, 9]);
    assert.deepEqual(Object.fromEntries(bucket.errorKinds), { Boom: 1, unknown: 2 });
  });

  it('survives its stored form', () => {
    const bucket = recordBucket([2, 4, 8], 1);

    const copy = Bucket.fromStored(JSON.parse(JSON.stringify(bucket.toStored())));

    assert.deepEqual(copy.toStored(), bucket.toStored());
    assert.equal(copy.sketch.count, 3);
  });

  it('stores null min and max while it has no calls', () => {
    const stored = new Bucket().toStored();

    assert.equal(stored.minMs, null);
    assert.equal(stored.maxMs, null);
    assert.deepEqual(Bucket.fromStored(stored).toStored(), stored);
  });

  it('merges another bucket', () => {
    const a = recordBucket([1, 2]);
    const b = new Bucket();
    b.addCall(10, 'Boom');

    a.merge(b);

    assert.deepEqual([a.count, a.errors, a.sumMs, a.minMs, a.maxMs], [3, 1, 13, 1, 10]);
    assert.equal(a.sketch.count, 3);
    assert.equal(a.errorKinds.get('Boom'), 1);
  });

  it('bounds the number and length of error kinds', () => {
    const bucket = new Bucket();
    for (let i = 0; i < MAX_ERROR_KINDS + 5; i++) {
      bucket.addErrorKind(`kind ${i}`, 1);
    }
    bucket.addErrorKind('kind 0', 2);
    bucket.addErrorKind('x'.repeat(MAX_ERROR_KIND_LENGTH + 50), 1);
    bucket.addErrorKind('ignored', 0);

    assert.equal(bucket.errorKinds.size, MAX_ERROR_KINDS + 1);
    assert.equal(bucket.errorKinds.get(OTHER_KIND), 6);
    assert.equal(bucket.errorKinds.get('kind 0'), 3);
    assert.equal(bucket.errorKinds.has('ignored'), false);
  });

  it('keeps a cut kind under its cut text', () => {
    const bucket = new Bucket();
    const long = 'y'.repeat(MAX_ERROR_KIND_LENGTH + 1);

    bucket.addErrorKind(long, 1);
    bucket.addErrorKind(long + 'z', 1);

    assert.equal(bucket.errorKinds.get(long.slice(0, MAX_ERROR_KIND_LENGTH)), 2);
  });
});

describe('bucketIn', () => {
  it('adds an empty bucket once and returns it after', () => {
    const buckets = new Map<string, Bucket>();

    const first = bucketIn(buckets, 'k');
    first.addCall(1);

    assert.equal(bucketIn(buckets, 'k'), first);
    assert.equal(buckets.size, 1);
  });
});
