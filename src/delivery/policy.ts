import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { HttpStatusError } from '../errors.js';

/** Options of the send policy. */
export interface SendPolicyOptions {
  /** Retries after the first attempt of one send. */
  maxRetries: number;
  /** First backoff delay in milliseconds. @default 200 */
  initialDelayMs?: number;
  /** Longest backoff delay in milliseconds. @default 30000 */
  maxDelayMs?: number;
  /** Consecutive failed attempts that open the breaker. @default 5 */
  breakAfterFailures?: number;
  /** Milliseconds the breaker stays open before one probe is let through. @default 15000 */
  halfOpenAfterMs?: number;
}

/** The retry-inside-breaker policy the sender runs each send through. */
export interface SendPolicy {
  policy: IPolicy;
  breaker: CircuitBreakerPolicy;
}

/**
 * Tells whether a failure may pass on a later attempt: network errors, timeouts, 408, 429 and
 * 5xx. Any other 4xx says the request itself is wrong, and sending it again cannot help.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BrokenCircuitError) return false;
  if (error instanceof HttpStatusError) {
    return error.status === 408 || error.status === 429 || error.status >= 500;
  }
  return true;
}

/**
 * Builds the policy of one destination: exponential backoff with decorrelated jitter around
 * a consecutive-failure breaker, so that each attempt counts towards opening it and an open
 * breaker fails the remaining attempts at once instead of knocking again.
 */
export function createSendPolicy(options: SendPolicyOptions): SendPolicy {
  const failures = handleWhen(isRetryable);
  const breaker = circuitBreaker(failures, {
    halfOpenAfter: options.halfOpenAfterMs ?? 15_000,
    breaker: new ConsecutiveBreaker(options.breakAfterFailures ?? 5),
  });
  const retrying = retry(failures, {
    maxAttempts: options.maxRetries,
    backoff: new ExponentialBackoff({
      initialDelay: options.initialDelayMs ?? 200,
      maxDelay: options.maxDelayMs ?? 30_000,
    }),
  }).dangerouslyUnref();

  return { policy: wrap(retrying, breaker), breaker };
}
