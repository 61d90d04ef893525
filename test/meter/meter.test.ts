import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeSketch } from '../../src/protocol/sketch.js';
import { Meter } from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const T0 = 1_700_000_000_000;

function setup(): { clock: FakeClock; meter: Meter } {
  const clock = new FakeClock(T0);

  return { clock, meter: new Meter({ clock }) };
}

/** Records a call of `durationMs` that ends now on the fake clock. */
function call(meter: Meter, clock: FakeClock, durationMs: number, failed = false): void {
  const endMs = clock.monotonicMs();
  meter.series('g', 'e').record(endMs - durationMs, endMs, failed);
}

describe('Meter', () => {
  it('puts calls into the wall-clock second they end in', () => {
    const { meter, clock } = setup();
    clock.advance(100);
    call(meter, clock, 5);
    clock.advance(899.5);
    call(meter, clock, 7);
    clock.advance(0.5); // exactly T0 + 1000: the next second
    call(meter, clock, 9);
    clock.advance(2_500);
    call(meter, clock, 11);

    const drafts = meter.drain();

    assert.deepEqual(
      drafts.map((d) => [d.t - T0, d.count, d.duration_sum_ms]),
      [
        [0, 2, 12],
        [1000, 1, 9],
        [3000, 1, 11],
      ],
    );
  });

  it('fills every field of a record', () => {
    const { meter, clock } = setup();
    clock.advance(10);
    call(meter, clock, 2);
    call(meter, clock, 8, true);

    const [draft] = meter.drain();

    assert.ok(draft);
    assert.deepEqual(
      { ...draft, sketch: undefined },
      {
        t: T0,
        gateway: 'g',
        endpoint: 'e',
        tags: {},
        count: 2,
        errors: 1,
        duration_sum_ms: 10,
        duration_min_ms: 2,
        duration_max_ms: 8,
        sketch: undefined,
        error_kinds: {},
      },
    );
    const sketch = decodeSketch(draft.sketch);
    assert.equal(sketch.count, 2);
    assert.ok(Math.abs(sketch.getValueAtQuantile(1) - 8) <= 8 * 0.01);
  });

  it('hands each call over once: a second drain is empty', () => {
    const { meter, clock } = setup();
    call(meter, clock, 1);

    assert.equal(meter.drain().length, 1);
    assert.deepEqual(meter.drain(), []);
  });

  it('includes the open second, and sends its later calls as a second part', () => {
    const { meter, clock } = setup();
    clock.advance(200);
    call(meter, clock, 1);
    const first = meter.drain();
    clock.advance(300);
    call(meter, clock, 2);
    call(meter, clock, 3);
    const second = meter.drain();

    assert.deepEqual(
      first.map((d) => [d.t, d.count]),
      [[T0, 1]],
    );
    assert.deepEqual(
      second.map((d) => [d.t, d.count, d.duration_sum_ms]),
      [[T0, 2, 5]],
    );
  });

  it('drains only series with calls since the last drain', () => {
    const { meter } = setup();
    const a = meter.series('g', 'a');
    const b = meter.series('g', 'b');
    a.record(0, 1, false);
    b.record(0, 1, false);
    meter.drain();
    b.record(1, 2, false);

    assert.deepEqual(
      meter.drain().map((d) => d.endpoint),
      ['b'],
    );
  });

  it('names one series for tags in any key order', () => {
    const { meter } = setup();
    const a = meter.series('g', 'e', { zone: 'b', region: 'eu' });
    const b = meter.series('g', 'e', { region: 'eu', zone: 'b' });

    assert.equal(a, b);
    assert.deepEqual(Object.keys(a.tags), ['region', 'zone']);
    assert.equal(meter.seriesCount, 1);
  });

  it('tells series apart by gateway, endpoint and tags', () => {
    const { meter } = setup();
    meter.series('g', 'e');
    meter.series('g', 'e', {});
    meter.series('g', 'e', { a: '1' });
    meter.series('g', 'e', { a: '2' });
    meter.series('g', 'f');
    meter.series('h', 'e');
    // A tag key that looks like part of the series key must not collide with another series.
    meter.series('g', 'e\u0000[["a","1"]]');

    assert.equal(meter.seriesCount, 6);
  });

  it('copies tags: neither the caller nor the record can change the series', () => {
    const { meter } = setup();
    const tags = { region: 'eu' };
    const series = meter.series('g', 'e', tags);
    tags.region = 'us';
    series.record(0, 1, false);
    const [draft] = meter.drain();
    draft!.tags.region = 'changed';

    assert.deepEqual(series.tags, { region: 'eu' });
    assert.ok(Object.isFrozen(series.tags));
  });

  it('records nothing while disabled, and drains what came before', () => {
    const { meter } = setup();
    const series = meter.series('g', 'e');
    series.record(0, 1, false);
    meter.isEnabled = false;
    series.record(1, 2, true, new Error('ignored'));

    assert.equal(meter.drain()[0]?.count, 1);
    meter.isEnabled = true;
    series.record(2, 3, false);
    assert.equal(meter.drain()[0]?.count, 1);
  });

  it('follows a wall-clock step once the clock is calibrated', () => {
    const { meter, clock } = setup();
    clock.advance(500);
    call(meter, clock, 1);
    clock.stepWall(-5_000);
    clock.calibrate();
    call(meter, clock, 1);

    assert.deepEqual(
      meter.drain().map((d) => d.t - T0),
      [0, -5_000],
    );
  });

  it('counts a negative duration as zero', () => {
    const { meter } = setup();
    meter.series('g', 'e').record(10, 5, false);

    const [draft] = meter.drain();
    assert.equal(draft?.duration_min_ms, 0);
    assert.equal(draft?.duration_sum_ms, 0);
  });

  it('rejects a maxErrorKinds that is not an integer from 0 to 1000', () => {
    for (const bad of [-1, 1.5, 1001, Number.NaN]) {
      assert.throws(() => new Meter({ maxErrorKinds: bad }), {
        code: 'ERR_TPS_CONFIG',
        field: 'maxErrorKinds',
        message: new RegExp(`integer from 0 to 1000; received ${String(bad)}`),
      });
    }
  });
});
