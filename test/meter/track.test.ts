import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Meter, track } from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(): { clock: FakeClock; meter: Meter; agent: { meter: Meter } } {
  const clock = new FakeClock();
  const meter = new Meter({ clock });

  return { clock, meter, agent: { meter } };
}

describe('track', () => {
  it('runs the function once, now, and returns its very value', () => {
    const { agent, meter, clock } = setup();
    const value = { id: 3 };
    let runs = 0;

    const result = track(
      'users',
      function findUser() {
        runs++;
        clock.advance(4);
        return value;
      },
      { agent },
    );

    assert.equal(result, value);
    assert.equal(runs, 1);
    const [draft] = meter.drain();
    assert.equal(draft?.gateway, 'users');
    assert.equal(draft?.endpoint, 'findUser');
    assert.equal(draft?.duration_max_ms, 4);
  });

  it('names an anonymous function "anonymous" unless an endpoint is given', () => {
    const { agent, meter } = setup();
    track(
      'g',
      (
        () => () =>
          1
      )(),
      { agent },
    );
    track('g', () => 1, { agent, endpoint: 'named', tags: { shard: 3 } });

    const drafts = meter.drain().map((d) => [d.endpoint, d.tags]);
    assert.deepEqual(drafts, [
      ['anonymous', {}],
      ['named', { shard: '3' }],
    ]);
  });

  it('rethrows what the function throws and counts the failure', () => {
    const { agent, meter } = setup();
    const error = new Error('db down');

    assert.throws(
      () =>
        track(
          'g',
          () => {
            throw error;
          },
          { agent },
        ),
      (thrown) => thrown === error,
    );
    assert.deepEqual(meter.drain()[0]?.error_kinds, { 'Error: db down': 1 });
  });

  it('follows a promise to the end and settles the same way', async () => {
    const { agent, meter, clock } = setup();
    const error = new Error('late');

    const ok = await track(
      'g',
      async () => {
        await Promise.resolve();
        clock.advance(9);
        return 'ok';
      },
      { agent, endpoint: 'e' },
    );
    await assert.rejects(
      track('g', () => Promise.reject(error), { agent, endpoint: 'e' }),
      (e) => e === error,
    );

    assert.equal(ok, 'ok');
    const [draft] = meter.drain();
    assert.equal(draft?.count, 2);
    assert.equal(draft?.errors, 1);
    assert.equal(draft?.duration_max_ms, 9);
  });

  it('counts failures without kinds when trackErrors is false', () => {
    const { agent, meter } = setup();

    assert.throws(() =>
      track(
        'g',
        () => {
          throw new Error('private');
        },
        { agent, trackErrors: false },
      ),
    );
    const [draft] = meter.drain();
    assert.equal(draft?.errors, 1);
    assert.deepEqual(draft?.error_kinds, {});
  });

  it('runs the function unmeasured without an agent', () => {
    assert.equal(
      track('g', () => 'plain'),
      'plain',
    );
  });
});
