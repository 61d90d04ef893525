import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import type { HttpStatusError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BatchAck, MetricBatch } from '../protocol/types.js';
import { backoffDelayMs } from './backoff.js';
import type { CollectorClient } from './client.js';
import type { Destination } from './destination.js';
import { classifyFailure, isConnectionReset } from './failure.js';
import type { ResolvedSendPolicyOptions } from './policy.js';
import type { RetryAfterError } from './retry-after.js';

/**
 * How one batch's send ended:
 * - `acked`: the collector stored it and says which records it applied;
 * - `rejected`: the collector called the batch itself bad (a 4xx other than 401, 403, 408, 429);
 * - `held`: it was not sent, or not to the end, and nothing counts against it: the destination
 *   is `paused` or `auth-failed`, the breaker is `open`, or the send was `aborted`;
 * - `failed`: every attempt failed with a retryable error.
 */
export type SendOutcome =
  | { kind: 'acked'; ack: BatchAck }
  | { kind: 'rejected'; error: HttpStatusError }
  | { kind: 'held'; reason: 'paused' | 'auth-failed' | 'open' | 'aborted' }
  | { kind: 'failed'; error: unknown };

/** What {@link sendWithRetries} works with: one destination's client, breaker and state. */
export interface RetryContext {
  client: CollectorClient;
  breaker: CircuitBreakerPolicy;
  destination: Destination;
  options: ResolvedSendPolicyOptions;
  logger: Logger;
}

type AttemptOutcome = SendOutcome | { kind: 'retry'; error: unknown };

/**
 * Sends one batch: up to `maxRetries` retries of retryable failures with jittered exponential
 * backoff, each attempt through the breaker and only when the destination admits it. The
 * backoff's sleep ends at once when `signal` aborts, so a stopping sender is never held by it.
 */
export async function sendWithRetries(
  context: RetryContext,
  batch: MetricBatch,
  signal: AbortSignal,
): Promise<SendOutcome> {
  for (let retry = 0; ; retry += 1) {
    const admission = context.destination.admit();
    if (admission !== 'go') return { kind: 'held', reason: admission };

    const outcome = await attempt(context, batch, signal);
    if (outcome.kind !== 'retry') return outcome;
    if (retry >= context.options.maxRetries) return { kind: 'failed', error: outcome.error };

    const delayMs = backoffDelayMs(retry + 1, context.options);
    context.logger.debug(
      { err: outcome.error, retry: retry + 1, delayMs },
      'send failed; retrying',
    );
    await sleep(delayMs, signal);
    if (signal.aborted) return { kind: 'held', reason: 'aborted' };
  }
}

async function attempt(
  context: RetryContext,
  batch: MetricBatch,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  try {
    // The post takes `signal` itself, not cockatiel's: a call that waited for a half-open probe
    // is run again by cockatiel without any signal, and stop() must still abort it.
    const ack = await context.breaker.execute(() => post(context, batch, signal), signal);
    context.destination.onAnswered();

    return { kind: 'acked', ack };
  } catch (error) {
    return settleFailure(context, error, signal);
  }
}

/**
 * Posts the batch once, and once more at once on a fresh connection if the first was reset:
 * a keep-alive connection may have died with a restarted collector. Both run inside one
 * breaker call, so a reset that the second post gets past counts as nothing.
 */
async function post(
  context: RetryContext,
  batch: MetricBatch,
  signal: AbortSignal,
): Promise<BatchAck> {
  // Read before the first await: cockatiel runs the half-open probe while it still says Open.
  // A probe gets no second post, so a dead collector sees one request per open period.
  const isProbe = context.breaker.state !== CircuitState.Closed;
  try {
    return await context.client.postBatch(batch, signal);
  } catch (error) {
    // Checked again now: if the breaker opened meanwhile, a second post would be a request to
    // a collector that is down, outside the one probe per open period.
    const isClosed = context.breaker.state === CircuitState.Closed;
    if (isProbe || !isClosed || signal.aborted || !isConnectionReset(error)) throw error;

    context.client.dropIdleConnections();
    context.logger.debug({ err: error }, 'connection reset; posting again on a fresh connection');

    return context.client.postBatch(batch, signal);
  }
}

function settleFailure(context: RetryContext, error: unknown, signal: AbortSignal): AttemptOutcome {
  const { destination } = context;
  const kind = signal.aborted ? 'aborted' : classifyFailure(error);
  switch (kind) {
    case 'auth':
      destination.onAuthRefused(error as HttpStatusError);
      return { kind: 'held', reason: 'auth-failed' };
    case 'throttled':
      destination.pause((error as RetryAfterError).retryAfterMs, error as RetryAfterError);
      return { kind: 'held', reason: 'paused' };
    case 'rejected':
      destination.onAnswered();
      return { kind: 'rejected', error: error as HttpStatusError };
    case 'aborted':
    case 'broken':
      destination.onUnanswered();
      return { kind: 'held', reason: kind === 'broken' ? 'open' : 'aborted' };
    default:
      if (hasStatus(error)) destination.onAnswered();
      else destination.onUnanswered();
      return { kind: 'retry', error };
  }
}

function hasStatus(error: unknown): boolean {
  return typeof (error as { status?: unknown } | null)?.status === 'number';
}

/** Resolves after `ms` milliseconds or as soon as `signal` aborts, whichever comes first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();

  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // A backoff must not keep the host alive; the records wait in the log for the next start.
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` aborts; at once if it has. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();

  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
