import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfterMs } from '../../src/delivery/index.js';

const nowMs = Date.parse('2025-03-01T12:00:00Z');

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfterMs('120', nowMs), 120_000);
    assert.equal(parseRetryAfterMs(' 0 ', nowMs), 0);
  });

  it('reads an HTTP date as the wait until then, 0 for one in the past', () => {
    assert.equal(parseRetryAfterMs('Sat, 01 Mar 2025 12:00:30 GMT', nowMs), 30_000);
    assert.equal(parseRetryAfterMs('Saturday, 01-Mar-25 12:01:00 GMT', nowMs), 60_000);
    assert.equal(parseRetryAfterMs('Sat, 01 Mar 2025 11:00:00 GMT', nowMs), 0);
  });

  it('ignores a missing or malformed value', () => {
    for (const value of [undefined, null, '', 'soon', '1.5', '-3', '2025-03-01']) {
      assert.equal(parseRetryAfterMs(value, nowMs), undefined, String(value));
    }
  });
});
