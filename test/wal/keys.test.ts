import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  QUARANTINE_RANGE,
  RECORD_RANGE,
  deletedKey,
  isSeq,
  quarantineKey,
  HIGHEST_RECORD_KEY,
  recordKey,
  recordSeqOf,
  seqOfKey,
} from '../../src/wal/keys.js';

describe('record keys', () => {
  it('encode the seq as 16 hex digits after r!', () => {
    assert.equal(recordKey(1), 'r!0000000000000001');
    assert.equal(recordKey(255), 'r!00000000000000ff');
    assert.equal(recordKey(Number.MAX_SAFE_INTEGER), 'r!001fffffffffffff');
  });

  it('sort in numeric order', () => {
    const seqs = [1, 9, 10, 15, 16, 255, 256, 4096, 1e9, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const keys = seqs.map(recordKey);

    assert.deepEqual([...keys].sort(), keys);
  });

  it('give the seq back', () => {
    for (const seq of [1, 42, 65_536, Number.MAX_SAFE_INTEGER]) {
      assert.equal(seqOfKey(recordKey(seq)), seq);
    }
  });

  it('fall inside the record range, and meta keys outside it', () => {
    for (const key of [recordKey(1), recordKey(Number.MAX_SAFE_INTEGER)]) {
      assert.ok(key >= RECORD_RANGE.gte && key < RECORD_RANGE.lt);
    }
    for (const key of ['m!last-seq', deletedKey('sent')]) {
      assert.ok(key < RECORD_RANGE.gte);
    }
  });

  it('refuse a seq that is not a positive safe integer', () => {
    for (const seq of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      assert.equal(isSeq(seq), false);
      assert.throws(() => recordKey(seq), RangeError);
    }
  });

  it('put quarantine keys in their own range, between meta and records', () => {
    const key = quarantineKey(255);

    assert.equal(key, 'q!00000000000000ff');
    assert.equal(seqOfKey(key), 255);
    assert.ok(key >= QUARANTINE_RANGE.gte && key < QUARANTINE_RANGE.lt);
    assert.ok(key < RECORD_RANGE.gte && key > deletedKey('sent'));
    assert.ok(recordKey(1) >= QUARANTINE_RANGE.lt);
    assert.throws(() => quarantineKey(0), RangeError);
  });

  it('give back the seq of a record key, and nothing for any other key', () => {
    for (const seq of [1, 255, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
      assert.equal(recordSeqOf(recordKey(seq)), seq);
    }
    assert.equal(HIGHEST_RECORD_KEY, recordKey(Number.MAX_SAFE_INTEGER));
    const foreign = [
      'r!zz',
      'r!ffffffffffffffff',
      'r!0020000000000000',
      'r!0000000000000000',
      'r!00000000000000A0',
      'r!00000000000000a0x',
      'r!0000000000000a0',
      'r!-000000000000001',
      'r! 000000000000001',
      'q!0000000000000001',
      'r!',
    ];
    for (const key of foreign) assert.equal(recordSeqOf(key), undefined, key);
  });
});
