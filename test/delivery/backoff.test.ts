import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../src/delivery/index.js';

const options = { initialDelayMs: 100, maxDelayMs: 1000 };

function sample(retry: number, n = 2000): number[] {
  return Array.from({ length: n }, () => backoffDelayMs(retry, options));
}

describe('backoffDelayMs', () => {
  it('doubles the base each retry, drawing from [base / 2, base]', () => {
    assert.equal(
      backoffDelayMs(1, options, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(1, options, () => 0.999999),
      100,
    );
    assert.equal(
      backoffDelayMs(2, options, () => 0),
      100,
    );
    assert.equal(
      backoffDelayMs(3, options, () => 0.999999),
      400,
    );
  });

  it('keeps the jitter at the cap: delays spread uniformly over [cap / 2, cap]', () => {
    for (const retry of [5, 10, 60, 1000]) {
      const delays = sample(retry);
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;

      assert.ok(Math.min(...delays) >= 500, `retry ${retry}: none below cap / 2`);
      assert.ok(Math.max(...delays) <= 1000, `retry ${retry}: none above the cap`);
      assert.ok(new Set(delays).size > 200, `retry ${retry}: delays differ`);
      // Uniform over [500, 1000]: mean 750; each fifth of the range holds about 20%.
      assert.ok(Math.abs(mean - 750) < 25, `retry ${retry}: mean ${mean}`);
      for (let fifth = 0; fifth < 5; fifth += 1) {
        const low = 500 + fifth * 100;
        const share = delays.filter((d) => d >= low && d < low + 100).length / delays.length;
        assert.ok(share > 0.12 && share < 0.28, `retry ${retry}: [${low}, +100) holds ${share}`);
      }
    }
  });

  it('treats a retry below 1 as the first and stays finite for huge ones', () => {
    assert.equal(
      backoffDelayMs(0, options, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(Number.MAX_SAFE_INTEGER, options, () => 0),
      500,
    );
  });
});
