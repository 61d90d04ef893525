import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokenCircuitError, CircuitState, TaskCancelledError } from 'cockatiel';
import {
  RequestTimeoutError,
  RetryAfterError,
  SEND_POLICY_DEFAULTS,
  classifyFailure,
  countsTowardsBreaker,
  createBreaker,
  isRetryable,
  resolveSendPolicyOptions,
} from '../../src/delivery/index.js';
import { HttpStatusError } from '../../src/errors.js';

const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const hangUp = new Error('request to http://x/ failed, reason: socket hang up');
const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const stopped = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

describe('classifyFailure', () => {
  it('retries network failures, timeouts, 408, 429 and 5xx', () => {
    assert.equal(classifyFailure(refused), 'retryable');
    assert.equal(classifyFailure(new RequestTimeoutError(100, stopped)), 'retryable');
    for (const status of [408, 429, 500, 502, 503, 504]) {
      assert.equal(classifyFailure(new HttpStatusError(status, '')), 'retryable', String(status));
      assert.equal(isRetryable(new HttpStatusError(status, '')), true, String(status));
    }
  });

  it('tells resets, Retry-After answers, refused credentials and bad batches apart', () => {
    assert.equal(classifyFailure(reset), 'reset');
    assert.equal(classifyFailure(hangUp), 'reset');
    assert.equal(classifyFailure(Object.assign(new Error('write'), { code: 'EPIPE' })), 'reset');
    assert.equal(classifyFailure(new RetryAfterError(429, '', 1000)), 'throttled');
    assert.equal(classifyFailure(new RetryAfterError(503, '', 1000)), 'throttled');
    assert.equal(classifyFailure(new HttpStatusError(401, '')), 'auth');
    assert.equal(classifyFailure(new HttpStatusError(403, '')), 'auth');
    for (const status of [400, 404, 409, 413, 422]) {
      assert.equal(classifyFailure(new HttpStatusError(status, '')), 'rejected', String(status));
      assert.equal(isRetryable(new HttpStatusError(status, '')), false, String(status));
    }
  });

  it('calls an open breaker broken and a stop aborted, and retries neither', () => {
    assert.equal(classifyFailure(new BrokenCircuitError()), 'broken');
    assert.equal(classifyFailure(stopped), 'aborted');
    assert.equal(classifyFailure(new TaskCancelledError()), 'aborted');
    assert.equal(isRetryable(new BrokenCircuitError()), false);
  });

  it('counts towards the breaker only what says the collector is down or failing', () => {
    assert.equal(countsTowardsBreaker(refused), true);
    assert.equal(countsTowardsBreaker(new HttpStatusError(503, '')), true);
    assert.equal(countsTowardsBreaker(new RetryAfterError(503, '', 5)), false);
    assert.equal(countsTowardsBreaker(new HttpStatusError(400, '')), false);
    assert.equal(countsTowardsBreaker(new HttpStatusError(401, '')), false);
    assert.equal(countsTowardsBreaker(stopped), false);
  });
});

describe('createBreaker', () => {
  it('opens after breakAfterFailures failures and lets nothing through while open', async () => {
    const breaker = createBreaker({ ...SEND_POLICY_DEFAULTS, breakAfterFailures: 3 });
    let attempts = 0;
    const failing = () => {
      attempts += 1;
      throw new HttpStatusError(503, 'busy');
    };

    for (let i = 0; i < 3; i += 1) await assert.rejects(breaker.execute(failing), { status: 503 });
    assert.equal(breaker.state, CircuitState.Open);
    await assert.rejects(breaker.execute(failing), BrokenCircuitError);
    assert.equal(attempts, 3, 'an open breaker lets no attempt through');
  });

  it('does not count bad batches, refused credentials or Retry-After answers', async () => {
    const breaker = createBreaker({ ...SEND_POLICY_DEFAULTS, breakAfterFailures: 1 });
    for (const error of [
      new HttpStatusError(400, 'bad'),
      new HttpStatusError(401, 'who'),
      new RetryAfterError(429, 'slow down', 1000),
    ]) {
      await assert.rejects(breaker.execute(() => Promise.reject(error)));
    }

    assert.equal(breaker.state, CircuitState.Closed);
  });
});

describe('resolveSendPolicyOptions', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(resolveSendPolicyOptions({}), {
      maxRetries: 3,
      initialDelayMs: 200,
      maxDelayMs: 30_000,
      breakAfterFailures: 5,
      halfOpenAfterMs: 15_000,
      minRetryAfterMs: 100,
      maxRetryAfterMs: 300_000,
    });
  });

  it('names the option, its range and the value when one is out of range', () => {
    assert.throws(() => resolveSendPolicyOptions({ maxRetries: 101 }), {
      name: 'RangeError',
      message: 'maxRetries must be an integer from 0 to 100, received 101',
    });
    assert.throws(() => resolveSendPolicyOptions({ initialDelayMs: 500, maxDelayMs: 100 }), {
      message: 'maxDelayMs must be an integer >= 500, received 100',
    });
    assert.throws(() => resolveSendPolicyOptions({ halfOpenAfterMs: 0 }), RangeError);
  });
});
