import {
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { countsTowardsBreaker } from './failure.js';

/** Options of the retries, the breaker and the `Retry-After` pause of one destination. */
export interface SendPolicyOptions {
  /** Retries after the first attempt of one batch, an integer from 0 to 100. @default 3 */
  maxRetries?: number;
  /** Base delay before the first retry, in milliseconds, from 1. @default 200 */
  initialDelayMs?: number;
  /**
   * Cap of the backoff's base delay, in milliseconds, from `initialDelayMs`; the delay at the
   * cap is drawn from `[maxDelayMs / 2, maxDelayMs]`.
   *
   * @default 30000
   */
  maxDelayMs?: number;
  /** Consecutive failed attempts that open the breaker, an integer from 1. @default 5 */
  breakAfterFailures?: number;
  /**
   * Milliseconds the breaker stays open before one probe is let through, from 1. It is also
   * how often a destination that refused our credentials (401, 403) is tried again.
   *
   * @default 15000
   */
  halfOpenAfterMs?: number;
  /** Shortest wait obeyed for a `Retry-After`, in milliseconds, from 0. @default 100 */
  minRetryAfterMs?: number;
  /**
   * Longest wait obeyed for a `Retry-After`, in milliseconds, from `minRetryAfterMs`; a
   * longer one is cut to this, so a wrong header cannot silence an agent for a day.
   *
   * @default 300000 (5 minutes)
   */
  maxRetryAfterMs?: number;
}

/** {@link SendPolicyOptions} with every default applied. */
export type ResolvedSendPolicyOptions = Readonly<Required<SendPolicyOptions>>;

/** The defaults of {@link SendPolicyOptions}. */
export const SEND_POLICY_DEFAULTS: ResolvedSendPolicyOptions = {
  maxRetries: 3,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  breakAfterFailures: 5,
  halfOpenAfterMs: 15_000,
  minRetryAfterMs: 100,
  maxRetryAfterMs: 300_000,
};

/**
 * Applies the defaults and checks every option.
 *
 * @throws {RangeError} naming the option, its range and the value received.
 */
export function resolveSendPolicyOptions(options: SendPolicyOptions): ResolvedSendPolicyOptions {
  const resolved: ResolvedSendPolicyOptions = {
    maxRetries: options.maxRetries ?? SEND_POLICY_DEFAULTS.maxRetries,
    initialDelayMs: options.initialDelayMs ?? SEND_POLICY_DEFAULTS.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? SEND_POLICY_DEFAULTS.maxDelayMs,
    breakAfterFailures: options.breakAfterFailures ?? SEND_POLICY_DEFAULTS.breakAfterFailures,
    halfOpenAfterMs: options.halfOpenAfterMs ?? SEND_POLICY_DEFAULTS.halfOpenAfterMs,
    minRetryAfterMs: options.minRetryAfterMs ?? SEND_POLICY_DEFAULTS.minRetryAfterMs,
    maxRetryAfterMs: options.maxRetryAfterMs ?? SEND_POLICY_DEFAULTS.maxRetryAfterMs,
  };
  checkInteger('maxRetries', resolved.maxRetries, 0, 100);
  checkInteger('initialDelayMs', resolved.initialDelayMs, 1);
  checkInteger('maxDelayMs', resolved.maxDelayMs, resolved.initialDelayMs);
  checkInteger('breakAfterFailures', resolved.breakAfterFailures, 1);
  checkInteger('halfOpenAfterMs', resolved.halfOpenAfterMs, 1);
  checkInteger('minRetryAfterMs', resolved.minRetryAfterMs, 0);
  checkInteger('maxRetryAfterMs', resolved.maxRetryAfterMs, resolved.minRetryAfterMs);

  return resolved;
}

/**
 * Builds the breaker of one destination: it opens after `breakAfterFailures` consecutive
 * failures that say the collector is down or failing (see `countsTowardsBreaker`), and once
 * `halfOpenAfterMs` has passed lets exactly one probe through; every other send meanwhile
 * fails at once with cockatiel's `BrokenCircuitError`, whatever the concurrency.
 */
export function createBreaker(options: ResolvedSendPolicyOptions): CircuitBreakerPolicy {
  return circuitBreaker(handleWhen(countsTowardsBreaker), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakAfterFailures),
  });
}

/**
 * Checks that `value` is an integer in `[min, max]`.
 *
 * @throws {RangeError} naming the option when it is not.
 */
export function checkInteger(name: string, value: number, min: number, max = Infinity): void {
  if (Number.isInteger(value) && value >= min && value <= max) return;

  const range = max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  throw new RangeError(`${name} must be ${range}, received ${String(value)}`);
}
