import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { Meter, measureTps, type MeterHost } from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const run = promisify(execFile);

function setup(): { clock: FakeClock; meter: Meter; agent: MeterHost } {
  const clock = new FakeClock();
  const meter = new Meter({ clock });

  return { clock, meter, agent: { meter } };
}

describe('measureTps as a wrapper', () => {
  it('returns what a sync function returns, the very same object', () => {
    const { agent, meter } = setup();
    const value = { id: 1 };
    const wrapped = measureTps({ gateway: 'g', agent })(() => value);

    assert.equal(wrapped(), value);
    assert.equal(meter.drain()[0]?.count, 1);
  });

  it('passes every argument and `this` through', () => {
    const { agent } = setup();
    const target = {
      base: 10,
      add: measureTps({ gateway: 'g', agent })(function (
        this: { base: number },
        a: number,
        b: number,
        ...rest: number[]
      ) {
        return this.base + a + b + rest.length;
      }),
    };

    assert.equal(target.add(1, 2, 7, 7, 7), 16);
  });

  it('keeps the name and length of the function', () => {
    const { agent } = setup();
    function charge(_id: string, _amount: number, _currency?: string): number {
      return 1;
    }
    const wrapped = measureTps({ gateway: 'g', agent })(charge);

    assert.equal(wrapped.name, 'charge');
    assert.equal(wrapped.length, 3);
  });

  it('rethrows the very error a sync function throws and counts it as failed', () => {
    const { agent, meter } = setup();
    const error = new RangeError('too big');
    const wrapped = measureTps({ gateway: 'g', agent })(function explode() {
      throw error;
    });

    assert.throws(wrapped, (thrown) => thrown === error);
    const [draft] = meter.drain();
    assert.equal(draft?.count, 1);
    assert.equal(draft?.errors, 1);
    assert.deepEqual(draft?.error_kinds, { 'RangeError: too big': 1 });
  });

  it('resolves with the value of an async function and measures until it settles', async () => {
    const { agent, meter, clock } = setup();
    const value = { ok: true };
    const wrapped = measureTps({ gateway: 'g', agent })(async function slow() {
      await Promise.resolve();
      clock.advance(40);
      return value;
    });

    const promise = wrapped();
    assert.ok(promise instanceof Promise);
    assert.equal(await promise, value);
    const [draft] = meter.drain();
    assert.equal(draft?.count, 1);
    assert.equal(draft?.errors, 0);
    assert.ok(Math.abs((draft?.duration_max_ms ?? 0) - 40) < 0.5);
  });

  it('rejects with the very error of an async function and counts it as failed', async () => {
    const { agent, meter } = setup();
    const error = new TypeError('bad input');
    const wrapped = measureTps({ gateway: 'g', agent })(async () => {
      throw error;
    });

    await assert.rejects(wrapped(), (thrown) => thrown === error);
    const [draft] = meter.drain();
    assert.equal(draft?.errors, 1);
    assert.deepEqual(draft?.error_kinds, { 'TypeError: bad input': 1 });
  });

  it('leaves a rejection nobody handles unhandled, with the same error', async () => {
    // In a child process: the test runner itself fails any test with an unhandled rejection.
    const meterUrl = new URL('../../src/meter/index.js', import.meta.url).href;
    const script = `
      import { Meter, measureTps } from ${JSON.stringify(meterUrl)};
      const error = new Error('nobody listens');
      process.on('unhandledRejection', (reason) => {
        process.stdout.write(String(reason === error) + ' ' + reason.message + ';');
      });
      const wrapped = measureTps({ gateway: 'g', agent: { meter: new Meter() } })(
        () => Promise.reject(error),
      );
      void wrapped();
    `;

    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);

    assert.equal(stdout, 'true nobody listens;');
  });

  it('returns a non-native thenable untouched and measures the call as sync', () => {
    const { agent, meter, clock } = setup();
    const thenable = { then: (resolve: (v: number) => void) => resolve(1) };
    const wrapped = measureTps({ gateway: 'g', agent })(() => {
      clock.advance(2);
      return thenable;
    });

    assert.equal(wrapped(), thenable);
    const [draft] = meter.drain();
    assert.equal(draft?.count, 1);
    assert.equal(draft?.duration_max_ms, 2);
  });

  it('records the duration a call takes on the clock', () => {
    const { agent, meter, clock } = setup();
    const wrapped = measureTps({ gateway: 'g', agent })((ms: number) => clock.advance(ms));

    wrapped(10);
    wrapped(30);
    const [draft] = meter.drain();
    assert.equal(draft?.duration_sum_ms, 40);
    assert.equal(draft?.duration_min_ms, 10);
    assert.equal(draft?.duration_max_ms, 30);
  });

  it('defaults the endpoint to the function name, and to "anonymous" without one', () => {
    const { agent, meter } = setup();
    const wrap = measureTps({ gateway: 'g', agent });
    wrap(function lookup() {})();
    wrap(
      (
        () => () =>
          1
      )(),
    )();

    const endpoints = meter.drain().map((d) => d.endpoint);
    assert.deepEqual(endpoints.sort(), ['anonymous', 'lookup']);
  });

  it('uses the endpoint, gateway and tags given', () => {
    const { agent, meter } = setup();
    const tags = { region: 'eu', retry: 2, canary: false };
    measureTps({ gateway: 'pay', endpoint: 'charge', tags, agent })(() => 1)();

    const [draft] = meter.drain();
    assert.equal(draft?.gateway, 'pay');
    assert.equal(draft?.endpoint, 'charge');
    assert.deepEqual(draft?.tags, { canary: 'false', region: 'eu', retry: '2' });
  });

  it('counts failures without their kind when trackErrors is false', async () => {
    const { agent, meter } = setup();
    const wrap = measureTps({ gateway: 'g', endpoint: 'e', trackErrors: false, agent });
    assert.throws(
      wrap(() => {
        throw new Error('secret customer 42');
      }),
    );
    await assert.rejects(wrap(() => Promise.reject(new Error('secret')))());

    const [draft] = meter.drain();
    assert.equal(draft?.errors, 2);
    assert.deepEqual(draft?.error_kinds, {});
  });

  it('counts a thrown undefined by a kind of its own', () => {
    const { agent, meter } = setup();
    const wrapped = measureTps({ gateway: 'g', agent })(() => {
      throw undefined;
    });

    assert.throws(wrapped);
    assert.deepEqual(meter.drain()[0]?.error_kinds, { undefined: 1 });
  });

  it('measures a function that calls itself once per call', () => {
    const { agent, meter } = setup();
    const fib = measureTps({ gateway: 'g', agent })((n: number): number =>
      n < 2 ? n : fib(n - 1) + fib(n - 2),
    );

    assert.equal(fib(10), 55);
    assert.equal(meter.drain()[0]?.count, 177);
  });

  it('keeps the length of functions with default and rest parameters as JavaScript counts it', () => {
    const { agent } = setup();
    const wrap = measureTps({ gateway: 'g', agent });

    assert.equal(wrap((a: number, b = 2) => a + b).length, 1);
    assert.equal(wrap((...all: number[]) => all.length).length, 0);
    assert.equal(
      wrap(function named(a: number, b: number, c: number) {
        return a + b + c;
      }).name,
      'named',
    );
  });

  it('works with call, apply and bind like the function it wraps', () => {
    const { agent, meter } = setup();
    const wrapped = measureTps({ gateway: 'g', endpoint: 'e', agent })(function (
      this: { k: number },
      a: number,
    ) {
      return this.k * a;
    });

    assert.equal(wrapped.call({ k: 2 }, 3), 6);
    assert.equal(wrapped.apply({ k: 3 }, [3]), 9);
    assert.equal(wrapped.bind({ k: 4 })(3), 12);
    assert.equal(meter.drain()[0]?.count, 3);
  });

  it('hands over plain data that survives JSON', () => {
    const { agent, meter, clock } = setup();
    const wrapped = measureTps({ gateway: 'g', tags: { a: 1 }, agent })(function fails() {
      clock.advance(2);
      throw new Error('nope');
    });
    assert.throws(wrapped);

    const [draft] = meter.drain();

    assert.deepEqual(JSON.parse(JSON.stringify(draft)), draft);
  });
});
