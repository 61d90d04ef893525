import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { countError, draftsError, reasonError, seqsError } from '../../src/wal/checks.js';
import { resolveLogOptions } from '../../src/wal/options.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeDraft } from './fixtures/drafts.js';

describe('resolveLogOptions', () => {
  it('applies the defaults', () => {
    const resolved = resolveLogOptions({});

    assert.equal(resolved.clock, systemClock);
    assert.equal(resolved.maxBytes, 268_435_456);
    assert.equal(resolved.maxQuarantinedRecords, 10_000);
    assert.equal(resolved.onDropped, undefined);
    assert.equal(typeof resolved.logger.child, 'function');
  });

  it('keeps what it is given', () => {
    const clock = new FakeClock();
    const onDropped = (): void => undefined;

    const resolved = resolveLogOptions({ clock, maxBytes: 1, maxQuarantinedRecords: 0, onDropped });

    assert.equal(resolved.clock, clock);
    assert.equal(resolved.maxBytes, 1);
    assert.equal(resolved.maxQuarantinedRecords, 0);
    assert.equal(resolved.onDropped, onDropped);
  });

  it('names the option and the value it refuses', () => {
    assert.throws(() => resolveLogOptions({ maxBytes: 2 ** 60 }), /maxBytes .* received 1152/);
    assert.throws(
      () => resolveLogOptions({ maxQuarantinedRecords: 0.5 }),
      /maxQuarantinedRecords must be an integer >= 0, received 0.5/,
    );
  });
});

describe('argument checks', () => {
  it('accept what is valid', () => {
    assert.equal(countError('limit', 0), undefined);
    assert.equal(seqsError([1, 2 ** 40]), undefined);
    assert.equal(reasonError('sent', ['sent']), undefined);
    assert.equal(draftsError([makeDraft(1)]), undefined);
    assert.equal(draftsError([]), undefined);
  });

  it('name what is not', () => {
    assert.match(countError('afterSeq', '3')?.message ?? '', /afterSeq .* received 3/);
    assert.match(seqsError([1, -2])?.message ?? '', /received -2/);
    assert.match(reasonError('x', ['a', 'b'])?.message ?? '', /one of a, b, received x/);
    assert.match(draftsError([makeDraft(1), {} as never])?.message ?? '', /drafts\[1\]/);
  });
});
