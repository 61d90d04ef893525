import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokenCircuitError, CircuitState } from 'cockatiel';
import { createSendPolicy, isRetryable } from '../../src/delivery/index.js';
import { HttpStatusError } from '../../src/errors.js';

describe('isRetryable', () => {
  it('retries network failures, timeouts, 408, 429 and 5xx', () => {
    assert.equal(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    for (const status of [408, 429, 500, 502, 503, 504]) {
      assert.equal(isRetryable(new HttpStatusError(status, '')), true, String(status));
    }
  });

  it('does not retry a request the collector called wrong, nor an open breaker', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) {
      assert.equal(isRetryable(new HttpStatusError(status, '')), false, String(status));
    }
    assert.equal(isRetryable(new BrokenCircuitError()), false);
  });
});

describe('createSendPolicy', () => {
  // The policy's backoff timers are unref'd so that the agent never holds a process open;
  // this ref'd interval keeps the test's own process alive while it waits for them.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keepAlive));

  it('retries maxRetries times, then opens the breaker after repeated failures', async () => {
    const { policy, breaker } = createSendPolicy({
      maxRetries: 2,
      initialDelayMs: 1,
      maxDelayMs: 2,
      breakAfterFailures: 5,
    });
    let attempts = 0;
    const failing = () => {
      attempts += 1;
      throw new HttpStatusError(503, 'busy');
    };

    await assert.rejects(policy.execute(failing), { status: 503 });
    assert.equal(attempts, 3);
    assert.equal(breaker.state, CircuitState.Closed);

    await assert.rejects(policy.execute(failing));
    assert.equal(breaker.state, CircuitState.Open);
    const before = attempts;
    await assert.rejects(policy.execute(failing), BrokenCircuitError);
    assert.equal(attempts, before, 'an open breaker lets no attempt through');
  });

  it('does not retry a rejected request', async () => {
    const { policy } = createSendPolicy({ maxRetries: 3, initialDelayMs: 1 });
    let attempts = 0;

    await assert.rejects(
      policy.execute(() => {
        attempts += 1;
        throw new HttpStatusError(400, 'bad');
      }),
    );
    assert.equal(attempts, 1);
  });
});
