import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Destination, type DestinationOptions } from '../../src/delivery/destination.js';
import { RetryAfterError } from '../../src/delivery/index.js';
import { HttpStatusError } from '../../src/errors.js';
import { capturingLogger, delay, keepProcessAlive } from './support.js';

function makeDestination(overrides: Partial<DestinationOptions> = {}) {
  let nowMs = 1_000_000;
  let wakes = 0;
  const logger = capturingLogger();
  const destination = new Destination({
    halfOpenAfterMs: 1000,
    minRetryAfterMs: 100,
    maxRetryAfterMs: 300_000,
    logger: logger.logger,
    onWake: () => (wakes += 1),
    now: () => nowMs,
    ...overrides,
  });

  return {
    destination,
    logger,
    advance: (ms: number) => (nowMs += ms),
    wakes: () => wakes,
  };
}

describe('Destination', () => {
  const opened: Destination[] = [];
  afterEach(() => opened.splice(0).forEach((destination) => destination.close()));

  it('holds every send until a Retry-After pause is over', () => {
    const { destination, advance } = makeDestination();
    opened.push(destination);

    const untilMs = destination.pause(2000, new RetryAfterError(429, '', 2000));

    assert.equal(destination.admit(), 'paused');
    assert.equal(destination.pausedUntilMs, untilMs);
    advance(1999);
    assert.equal(destination.admit(), 'paused');
    advance(1);
    assert.equal(destination.admit(), 'go');
    assert.equal(destination.pausedUntilMs, undefined);
  });

  it('keeps a pause within minRetryAfterMs and maxRetryAfterMs, and only lets it grow', () => {
    const { destination, logger } = makeDestination({ maxRetryAfterMs: 60_000 });
    opened.push(destination);
    const start = 1_000_000;

    assert.equal(destination.pause(0, new RetryAfterError(503, '', 0)), start + 100);
    assert.equal(destination.pause(86_400_000, new RetryAfterError(429, '', 0)), start + 60_000);
    assert.equal(destination.pause(5000, new RetryAfterError(429, '', 0)), start + 60_000);
    assert.equal(logger.matching('asked us to wait').length, 1, 'logged once per pause');
  });

  it('lets one auth probe through per halfOpenAfterMs while credentials are refused', () => {
    const { destination, advance, logger } = makeDestination();
    opened.push(destination);

    destination.onAuthRefused(new HttpStatusError(401, 'bad token'));
    assert.equal(destination.isAuthFailed, true);
    assert.equal(destination.admit(), 'auth-failed');
    advance(1000);
    assert.equal(destination.admit(), 'go', 'the probe');
    assert.equal(destination.admit(), 'auth-failed', 'only one probe at a time');

    destination.onAuthRefused(new HttpStatusError(401, 'bad token'));
    assert.equal(destination.admit(), 'auth-failed');
    advance(1000);
    assert.equal(destination.admit(), 'go');
    destination.onAnswered();

    assert.equal(destination.isAuthFailed, false);
    assert.equal(destination.admit(), 'go');
    assert.equal(logger.matching('refused our credentials').length, 1, 'logged once');
    assert.equal(logger.matching('accepts our credentials again').length, 1);
  });

  it('tries an auth probe that got no answer again a period later', () => {
    const { destination, advance } = makeDestination();
    opened.push(destination);
    destination.onAuthRefused(new HttpStatusError(403, 'forbidden'));
    advance(1000);
    assert.equal(destination.admit(), 'go');

    destination.onUnanswered();

    assert.equal(destination.isAuthFailed, true);
    assert.equal(destination.admit(), 'auth-failed');
    advance(1000);
    assert.equal(destination.admit(), 'go');
  });

  it('wakes the sender when a pause ends, and not after close', async () => {
    const release = keepProcessAlive();
    const { destination, wakes } = makeDestination({ now: Date.now });
    destination.pause(100, new RetryAfterError(429, '', 100));
    destination.wakeAt(Date.now() + 100);

    await delay(300);
    assert.equal(wakes(), 2);

    destination.wakeAt(Date.now() + 50);
    destination.close();
    await delay(150);
    assert.equal(wakes(), 2);
    release();
  });
});
