import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import {
  Meter,
  getDefaultMeterHost,
  measureTps,
  setDefaultMeterHost,
  track,
  type MeterHost,
} from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

function host(): MeterHost & { meter: Meter } {
  return { meter: new Meter({ clock: new FakeClock() }) };
}

describe('which meter a call goes to', () => {
  afterEach(() => setDefaultMeterHost(undefined));

  it('runs the function unmeasured when there is no agent and no default host', () => {
    const value = {};
    const wrapped = measureTps({ gateway: 'g' })(function (this: unknown, a: number) {
      return [this, a, value];
    });
    const self = {};

    assert.equal(getDefaultMeterHost(), undefined);
    assert.deepEqual(wrapped.call(self, 1), [self, 1, value]);
    assert.throws(
      measureTps({ gateway: 'g' })(() => {
        throw new Error('own error');
      }),
      { message: 'own error' },
    );
  });

  it('records into the default host set after the function was wrapped', () => {
    const wrapped = measureTps({ gateway: 'g' })(() => 1);
    wrapped();
    const first = host();
    setDefaultMeterHost(first);
    wrapped();
    const second = host();
    setDefaultMeterHost(second);
    wrapped();
    wrapped();

    assert.equal(first.meter.drain()[0]?.count, 1);
    assert.equal(second.meter.drain()[0]?.count, 2);
  });

  it('stops measuring once the default host is unset', () => {
    const agent = host();
    setDefaultMeterHost(agent);
    const wrapped = measureTps({ gateway: 'g' })(() => 1);
    wrapped();
    setDefaultMeterHost(undefined);
    wrapped();

    assert.equal(agent.meter.drain()[0]?.count, 1);
    assert.equal(getDefaultMeterHost(), undefined);
  });

  it('records track() calls into the default host', () => {
    const agent = host();
    setDefaultMeterHost(agent);

    track('g', function lookup() {
      return 1;
    });

    assert.equal(agent.meter.drain()[0]?.endpoint, 'lookup');
  });

  it('prefers the agent option over the default host', () => {
    const own = host();
    const fallback = host();
    setDefaultMeterHost(fallback);
    measureTps({ gateway: 'g', agent: own })(() => 1)();

    assert.equal(own.meter.drain().length, 1);
    assert.equal(fallback.meter.drain().length, 0);
  });

  it('follows a host that swaps its meter', () => {
    const first = new Meter({ clock: new FakeClock() });
    const second = new Meter({ clock: new FakeClock() });
    const agent = { meter: first };
    const wrapped = measureTps({ gateway: 'g', agent })(() => 1);
    wrapped();
    agent.meter = second;
    wrapped();

    assert.equal(first.drain().length, 1);
    assert.equal(second.drain().length, 1);
  });

  it('runs the function unmeasured while the meter is disabled', () => {
    const agent = host();
    agent.meter.isEnabled = false;
    const wrapped = measureTps({ gateway: 'g', agent })(() => 'ran');

    assert.equal(wrapped(), 'ran');
    assert.deepEqual(agent.meter.drain(), []);
  });

  it('stops recording an async call whose meter is disabled before it settles', async () => {
    const agent = host();
    const wrapped = measureTps({ gateway: 'g', agent })(async () => {
      await Promise.resolve();
      agent.meter.isEnabled = false;
      return 'done';
    });

    assert.equal(await wrapped(), 'done');
    assert.deepEqual(agent.meter.drain(), []);
  });

  it('never breaks the host when the host or its meter throws', async () => {
    const broken = {
      get meter(): Meter {
        throw new Error('host is broken');
      },
    };
    const badMeter = host().meter;
    badMeter.series = () => {
      throw new Error('meter is broken');
    };
    const throwingClock = new FakeClock();
    throwingClock.monotonicMs = () => {
      throw new Error('clock is broken');
    };
    const hosts: MeterHost[] = [
      broken,
      { meter: badMeter },
      { meter: new Meter({ clock: throwingClock }) },
    ];

    for (const agent of hosts) {
      assert.equal(measureTps({ gateway: 'g', agent })(() => 'sync')(), 'sync');
      assert.equal(await measureTps({ gateway: 'g', agent })(async () => 'async')(), 'async');
      assert.equal(
        track('g', () => 'tracked', { agent }),
        'tracked',
      );
      assert.throws(
        measureTps({ gateway: 'g', agent })(() => {
          throw new Error('own');
        }),
        { message: 'own' },
      );
    }
  });

  it('never breaks the host when the clock fails only at the end of a call', () => {
    const clock = new FakeClock();
    const agent = { meter: new Meter({ clock }) };
    const wrapped = measureTps({ gateway: 'g', agent })(() => {
      clock.monotonicMs = () => {
        throw new Error('clock broke mid-call');
      };
      return 'ok';
    });

    assert.equal(wrapped(), 'ok');
    assert.deepEqual(agent.meter.drain(), []);
  });
});
