import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAck } from '../../src/delivery/ack.js';
import type { BatchAck } from '../../src/protocol/types.js';

const counts = { status: 'success', received_count: 4, applied_count: 0, duplicate_count: 0 };

describe('readAck', () => {
  it('deletes the union of applied and duplicate seqs and counts the duplicates', () => {
    const ack: BatchAck = {
      ...counts,
      status: 'success',
      applied_seqs: [1, 2],
      duplicate_seqs: [3],
    };

    assert.deepEqual(readAck([1, 2, 3, 4], ack), {
      toDelete: [1, 2, 3],
      duplicates: 1,
      unnamed: [4],
    });
  });

  it('acknowledges the whole batch when an older collector names no seqs', () => {
    const ack: BatchAck = { ...counts, status: 'success', duplicate_count: 2 };

    assert.deepEqual(readAck([5, 6], ack), { toDelete: [5, 6], duplicates: 2, unnamed: [] });
  });

  it('takes one missing list as empty and ignores seqs not in the batch', () => {
    const ack: BatchAck = { ...counts, status: 'success', duplicate_seqs: [7, 99] };

    assert.deepEqual(readAck([7, 8], ack), { toDelete: [7], duplicates: 1, unnamed: [8] });
  });
});
