import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter, MAX_ERROR_KIND_LENGTH } from '../../src/meter/index.js';
import { RENAMED_PROTO_KIND, errorKindOf } from '../../src/meter/error-kind.js';
import { FakeClock } from '../helpers/fake-clock.js';

function fail(meter: Meter, ...errors: unknown[]): void {
  const series = meter.series('g', 'e');
  for (const error of errors) series.record(0, 1, true, error);
}

describe('error kinds', () => {
  it('names an Error by its name and message', () => {
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
    }

    assert.equal(
      errorKindOf(new TypeError('x is not a function')),
      'TypeError: x is not a function',
    );
    assert.equal(errorKindOf(new PaymentDeclined('card expired')), 'PaymentDeclined: card expired');
    assert.equal(errorKindOf(new Error('')), 'Error');
  });

  it('gives thrown values that are not errors a sensible name', () => {
    class Custom {}

    assert.equal(errorKindOf('boom'), 'string: boom');
    assert.equal(errorKindOf(42), 'number: 42');
    assert.equal(errorKindOf(null), 'null');
    assert.equal(errorKindOf(undefined), 'undefined');
    assert.equal(errorKindOf(Symbol('s')), 'symbol: Symbol(s)');
    assert.equal(errorKindOf({ code: 'E1' }), 'Object');
    assert.equal(errorKindOf({ message: 'plain' }), 'Object: plain');
    assert.equal(errorKindOf(new Custom()), 'Custom');
    assert.equal(errorKindOf(Object.create(null)), 'Object');
  });

  it('falls back to the constructor name when an error has no usable name', () => {
    const unnamed = new Error('lost');
    unnamed.name = '';
    const numbered = Object.assign(new Error('odd'), { name: 42 });

    assert.equal(errorKindOf(unnamed), 'Error: lost');
    assert.equal(errorKindOf(numbered), 'Error: odd');
  });

  it('survives an error whose properties throw', () => {
    const hostile = {
      get name(): string {
        throw new Error('gotcha');
      },
    };

    assert.equal(errorKindOf(hostile), 'Unknown');
  });

  it('cuts long keys, never inside a surrogate pair', () => {
    const long = errorKindOf(new Error('x'.repeat(500)));
    const emoji = errorKindOf(new Error(`${'y'.repeat(MAX_ERROR_KIND_LENGTH - 8)}😀😀`));

    assert.equal(long.length, MAX_ERROR_KIND_LENGTH);
    assert.equal(emoji.length, MAX_ERROR_KIND_LENGTH - 1);
    assert.ok(emoji.endsWith('y'));
  });

  it('keeps at most maxErrorKinds kinds per record and counts the rest under "other"', () => {
    const meter = new Meter({ clock: new FakeClock(), maxErrorKinds: 3 });
    fail(meter, new Error('a'), new Error('b'), new Error('a'), new Error('c'));
    fail(meter, new Error('d'), new Error('e'), new Error('b'));

    const [draft] = meter.drain();

    assert.equal(draft?.errors, 7);
    assert.deepEqual(draft?.error_kinds, {
      'Error: a': 2,
      'Error: b': 2,
      'Error: c': 1,
      other: 2,
    });
  });

  it('counts a failure named exactly __proto__ under a key of its own, renamed', () => {
    const meter = new Meter({ clock: new FakeClock() });
    fail(meter, { name: '__proto__' }, { name: '__proto__' }, new Error('__proto__'));

    const kinds = meter.drain()[0]?.error_kinds ?? {};

    assert.equal(Object.getPrototypeOf(kinds), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(kinds)), {
      [RENAMED_PROTO_KIND]: 2,
      'Error: __proto__': 1,
    });
  });

  it('defaults to 20 kinds per record', () => {
    const meter = new Meter({ clock: new FakeClock() });
    fail(meter, ...Array.from({ length: 25 }, (_, i) => new Error(`e${i}`)));

    const kinds = meter.drain()[0]?.error_kinds ?? {};

    assert.equal(Object.keys(kinds).length, 21);
    assert.equal(kinds.other, 5);
  });

  it('starts every record with a fresh bound', () => {
    const meter = new Meter({ clock: new FakeClock(), maxErrorKinds: 1 });
    fail(meter, new Error('a'), new Error('b'));
    meter.drain();
    fail(meter, new Error('b'));

    assert.deepEqual(meter.drain()[0]?.error_kinds, { 'Error: b': 1 });
  });

  it('puts every failure under "other" with maxErrorKinds 0', () => {
    const meter = new Meter({ clock: new FakeClock(), maxErrorKinds: 0 });
    fail(meter, new Error('a'), 'b');

    assert.deepEqual(meter.drain()[0]?.error_kinds, { other: 2 });
  });

  it('counts a failure recorded without an error in errors only', () => {
    const meter = new Meter({ clock: new FakeClock() });
    meter.series('g', 'e').record(0, 1, true);

    const [draft] = meter.drain();
    assert.equal(draft?.errors, 1);
    assert.deepEqual(draft?.error_kinds, {});
  });

  it('ignores the error of a call that did not fail', () => {
    const meter = new Meter({ clock: new FakeClock() });
    meter.series('g', 'e').record(0, 1, false, new Error('not a failure'));

    const [draft] = meter.drain();
    assert.equal(draft?.errors, 0);
    assert.deepEqual(draft?.error_kinds, {});
  });
});
