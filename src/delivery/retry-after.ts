import { HttpStatusError } from '../errors.js';

/** A 429 or 503 answer whose `Retry-After` said when to come back. */
export class RetryAfterError extends HttpStatusError {
  /** The wait the collector asked for, in milliseconds, before any cap; >= 0. */
  readonly retryAfterMs: number;

  constructor(status: number, detail: string, retryAfterMs: number) {
    super(status, detail);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The statuses whose `Retry-After` the sender obeys. */
export const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];

// All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with a day name; checking
// that keeps V8's lenient Date.parse from reading "1.5" or "soon" as a date.
const HTTP_DATE = /^[A-Za-z]{3}/;

/**
 * Reads a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`).
 *
 * @param nowMs - Epoch milliseconds now, to turn a date into a wait.
 * @returns The wait in milliseconds (0 for a date in the past), or undefined when the value is
 *   missing or malformed.
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!HTTP_DATE.test(text)) return undefined;

  const dateMs = Date.parse(text);

  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}
