import { TaskCancelledError, isBrokenCircuitError } from 'cockatiel';
import { isTpsError, type HttpStatusError } from '../errors.js';
import { RetryAfterError } from './retry-after.js';

/**
 * What a failed send means for the sender:
 * - `aborted`: the sender stopped or the caller's deadline passed; nothing is counted.
 * - `broken`: the breaker is open and let nothing through.
 * - `reset`: the connection was reset (`ECONNRESET`, `EPIPE`, "socket hang up"), as when a
 *   reused keep-alive connection died with a restarted collector; worth one quick retry.
 * - `throttled`: 429 or 503 with `Retry-After`; the whole destination waits.
 * - `auth`: 401 or 403; sending stops until the credentials work again.
 * - `rejected`: any other 4xx but 408 and 429; the batch itself is bad and goes to quarantine.
 * - `retryable`: network errors, timeouts, 408, 429, 5xx and malformed answers.
 */
export type FailureKind =
  'aborted' | 'broken' | 'reset' | 'throttled' | 'auth' | 'rejected' | 'retryable';

const RESET_CODES: readonly string[] = ['ECONNRESET', 'EPIPE'];

/** Tells what a failed send means; see {@link FailureKind}. */
export function classifyFailure(error: unknown): FailureKind {
  // An isolated breaker's error is a BrokenCircuitError too.
  if (isBrokenCircuitError(error)) return 'broken';
  if (isStatusError(error)) return classifyStatus(error);
  if (isConnectionReset(error)) return 'reset';
  // Not cockatiel's isTaskCancelledError: in 3.2.1 it tests the bulkhead's brand instead.
  if (error instanceof TaskCancelledError) return 'aborted';
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return 'aborted';

  return 'retryable';
}

/**
 * Tells whether a failure may pass on a later attempt: network errors, timeouts, 408, 429 and
 * 5xx (with or without `Retry-After`). Any other 4xx says the request itself is wrong, and
 * sending it again cannot help.
 */
export function isRetryable(error: unknown): boolean {
  const kind = classifyFailure(error);

  return kind === 'retryable' || kind === 'reset' || kind === 'throttled';
}

/**
 * Tells whether a failure counts towards opening the breaker: what says the collector is down
 * or failing. A `Retry-After` answer does not (the collector is up, and the pause already holds
 * every send), nor a rejected batch or refused credentials.
 */
export function countsTowardsBreaker(error: unknown): boolean {
  const kind = classifyFailure(error);

  return kind === 'retryable' || kind === 'reset';
}

/** Tells whether `error` is a reset of the connection under the request. */
export function isConnectionReset(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && RESET_CODES.includes(code)) return true;

  return typeof message === 'string' && message.includes('socket hang up');
}

function isStatusError(error: unknown): error is HttpStatusError {
  return isTpsError(error) && error.code === 'ERR_TPS_HTTP' && 'status' in error;
}

function classifyStatus(error: HttpStatusError): FailureKind {
  const { status } = error;
  if (error instanceof RetryAfterError) return 'throttled';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'retryable';

  return status >= 400 ? 'rejected' : 'retryable';
}
