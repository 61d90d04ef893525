import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter, measureTps, track } from '../../src/meter/index.js';
import type { RecordDraft } from '../../src/protocol/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T0 = 1_700_000_000_000;

function setup(): { clock: FakeClock; meter: Meter; agent: { meter: Meter } } {
  const clock = new FakeClock(T0);
  const meter = new Meter({ clock });

  return { clock, meter, agent: { meter } };
}

/** A promise with its resolve and reject exposed, to settle calls in a chosen order. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });

  return { promise, resolve, reject };
}

function summary(drafts: RecordDraft[]): [number, number, number, number, number][] {
  return drafts.map((d) => [d.t - T0, d.count, d.errors, d.duration_min_ms, d.duration_max_ms]);
}

describe('timing of measured calls', () => {
  it('gives nested sync calls each their own start', () => {
    const { agent, meter, clock } = setup();
    const inner = measureTps({ gateway: 'g', endpoint: 'inner', agent })(() => {
      clock.advance(3);
    });
    const outer = measureTps({ gateway: 'g', endpoint: 'outer', agent })(() => {
      clock.advance(10);
      inner();
      clock.advance(20);
    });

    outer();

    const drafts = Object.fromEntries(meter.drain().map((d) => [d.endpoint, d]));
    assert.equal(drafts.inner?.duration_max_ms, 3);
    assert.equal(drafts.outer?.duration_max_ms, 33);
  });

  it('gives a sync function that re-enters itself each call its own start', () => {
    const { agent, meter, clock } = setup();
    const countdown: (n: number) => void = measureTps({ gateway: 'g', endpoint: 'e', agent })((
      n: number,
    ) => {
      clock.advance(1);
      if (n > 0) countdown(n - 1);
    });

    countdown(3);

    const [draft] = meter.drain();
    // Calls of 1, 2, 3 and 4 ms, the innermost first.
    assert.equal(draft?.count, 4);
    assert.equal(draft?.duration_sum_ms, 1 + 2 + 3 + 4);
    assert.equal(draft?.duration_min_ms, 1);
    assert.equal(draft?.duration_max_ms, 4);
  });

  it('measures overlapping async calls independently, whatever order they settle in', async () => {
    const { agent, meter, clock } = setup();
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const wait = measureTps({ gateway: 'g', endpoint: 'e', agent })(
      (i: number) => gates[i]!.promise,
    );

    const first = wait(0);
    clock.advance(5);
    const second = wait(1);
    clock.advance(5);
    const third = wait(2);
    clock.advance(5);
    gates[1]!.resolve('b');
    await second;
    clock.advance(5);
    gates[2]!.reject(new Error('c failed'));
    await assert.rejects(third);
    clock.advance(5);
    gates[0]!.resolve('a');

    assert.equal(await first, 'a');
    const [draft] = meter.drain();
    assert.equal(draft?.count, 3);
    assert.equal(draft?.errors, 1);
    // first: 25 ms, second: 10 ms, third: 10 ms.
    assert.equal(draft?.duration_sum_ms, 45);
    assert.equal(draft?.duration_min_ms, 10);
    assert.equal(draft?.duration_max_ms, 25);
    assert.deepEqual(draft?.error_kinds, { 'Error: c failed': 1 });
  });

  it('puts a call that spans a second boundary into the second it ends in', async () => {
    const { agent, meter, clock } = setup();
    const gate = deferred<void>();
    clock.advance(900);
    const pending = measureTps({ gateway: 'g', endpoint: 'e', agent })(() => gate.promise)();
    clock.advance(250);
    gate.resolve();
    await pending;

    assert.deepEqual(summary(meter.drain()), [[1000, 1, 0, 250, 250]]);
  });

  it('keeps seconds apart across many rotations and hands them over oldest first', () => {
    const { agent, meter, clock } = setup();
    const tick = measureTps({ gateway: 'g', endpoint: 'e', agent })((ms: number) => {
      clock.advance(ms);
    });
    for (let second = 0; second < 5; second++) {
      tick(100);
      tick(200);
      clock.advance(700);
    }

    const drafts = meter.drain();

    assert.deepEqual(
      drafts.map((d) => [d.t - T0, d.count, d.duration_sum_ms]),
      [0, 1000, 2000, 3000, 4000].map((t) => [t, 2, 300]),
    );
  });

  it('hands over a second in parts when drains fall inside it', () => {
    const { agent, meter, clock } = setup();
    const tick = measureTps({ gateway: 'g', endpoint: 'e', agent })(() => clock.advance(10));
    const parts: RecordDraft[][] = [];
    for (let i = 0; i < 4; i++) {
      tick();
      tick();
      parts.push(meter.drain());
    }

    assert.deepEqual(
      parts.map((drafts) => summary(drafts)),
      [[[0, 2, 0, 10, 10]], [[0, 2, 0, 10, 10]], [[0, 2, 0, 10, 10]], [[0, 2, 0, 10, 10]]],
    );
  });

  it('adds the parts of a second back up to every call made in it', () => {
    const { agent, meter, clock } = setup();
    const tick = measureTps({ gateway: 'g', endpoint: 'e', agent })(() => clock.advance(1));
    let count = 0;
    let sum = 0;
    for (let i = 0; i < 500; i++) {
      tick();
      if (i % 37 === 0) {
        for (const draft of meter.drain()) {
          count += draft.count;
          sum += draft.duration_sum_ms;
        }
      }
    }
    for (const draft of meter.drain()) {
      count += draft.count;
      sum += draft.duration_sum_ms;
    }

    assert.equal(count, 500);
    assert.equal(sum, 500);
  });

  it('records nothing for a sync call that ends after the meter is disabled', () => {
    const { agent, meter } = setup();
    const wrapped = measureTps({ gateway: 'g', agent })(() => {
      meter.isEnabled = false;
      return 'done';
    });

    assert.equal(wrapped(), 'done');
    assert.deepEqual(meter.drain(), []);
  });

  it('records the calls of two wrappers with the same names into one series', () => {
    const { agent, meter } = setup();
    const a = measureTps({ gateway: 'g', endpoint: 'e', tags: { x: 1 }, agent })(() => 1);
    const b = measureTps({ gateway: 'g', endpoint: 'e', tags: { x: '1' }, agent })(() => 2);
    a();
    b();
    track('g', () => 3, { endpoint: 'e', tags: { x: 1 }, agent });

    const drafts = meter.drain();
    assert.equal(drafts.length, 1);
    assert.equal(drafts[0]?.count, 3);
    assert.equal(meter.seriesCount, 1);
  });

  it('measures a Promise subclass and hands back a promise of that subclass', async () => {
    const { agent, meter, clock } = setup();
    class TracedPromise<T> extends Promise<T> {}
    const wrapped = measureTps({ gateway: 'g', agent })(() => {
      const promise = new TracedPromise<string>((resolve) => setImmediate(() => resolve('ok')));
      clock.advance(7);
      return promise;
    });

    const result = wrapped();

    assert.ok(result instanceof TracedPromise);
    assert.equal(await result, 'ok');
    assert.equal(meter.drain()[0]?.duration_max_ms, 7);
  });
});
