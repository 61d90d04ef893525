import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Meter, OVERFLOW_NAME, track } from '../../src/meter/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const run = promisify(execFile);

describe('Meter series cap', () => {
  it('folds calls beyond maxSeries into one overflow series, warning once', () => {
    let warnings = 0;
    const meter = new Meter({ clock: new FakeClock(), maxSeries: 3, onOverflow: () => warnings++ });
    const host = { meter };

    for (let i = 0; i < 10; i++) track('gw', () => i, { agent: host, endpoint: `e${i}` });
    track('gw', () => 0, { agent: host, endpoint: 'tagged', tags: { region: 'eu' } });
    track('gw', () => 0, { agent: host, endpoint: 'e0' });

    const drafts = meter.drain();
    const overflow = drafts.filter((draft) => draft.gateway === OVERFLOW_NAME);
    assert.equal(meter.seriesCount, 3);
    assert.equal(overflow.length, 1);
    assert.equal(overflow[0]?.endpoint, OVERFLOW_NAME);
    assert.equal(overflow[0]?.count, 8, 'seven untagged names and one tagged one');
    assert.equal(drafts.find((draft) => draft.endpoint === 'e0')?.count, 2, 'known series go on');
    assert.equal(meter.overflowedCalls, 8);
    assert.equal(warnings, 1);
  });

  it('loses no call: every call lands in its own series or the overflow one', () => {
    const meter = new Meter({ clock: new FakeClock(), maxSeries: 50 });
    for (let i = 0; i < 1000; i++) {
      track('gw', () => i, { agent: { meter }, endpoint: `e${i % 200}` });
    }

    const total = meter.drain().reduce((sum, draft) => sum + draft.count, 0);
    assert.equal(total, 1000);
  });

  it('refuses a cap that is not a whole number from 1 to 1,000,000', () => {
    for (const bad of [0, -1, 1.5, 2_000_000, Number.NaN]) {
      assert.throws(() => new Meter({ maxSeries: bad }), {
        code: 'ERR_TPS_CONFIG',
        field: 'maxSeries',
      });
    }
  });

  it('keeps the heap within tens of megabytes over 100,000 distinct endpoint names', async () => {
    const fixture = resolve('build/test/fixtures/many-series.js');

    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', fixture, '100000', String(10_000)],
      { timeout: 60_000 },
    );

    const { growthBytes, series } = JSON.parse(stdout) as { growthBytes: number; series: number };
    assert.equal(series, 10_000);
    assert.ok(growthBytes < 30 * 1024 * 1024, `heap grew by ${growthBytes} bytes`);
  });
});
