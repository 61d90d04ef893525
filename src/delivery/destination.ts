import type { HttpStatusError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Whether a batch may go to the collector now; see {@link Destination.admit}. */
export type Admission = 'go' | 'paused' | 'auth-failed';

/** Options of a {@link Destination}; the sender passes its resolved `SendPolicyOptions`. */
export interface DestinationOptions {
  /** Milliseconds between two tries of a destination that refused our credentials. Required. */
  halfOpenAfterMs: number;
  /** Shortest `Retry-After` wait obeyed, in milliseconds, >= 0. Required. */
  minRetryAfterMs: number;
  /** Longest `Retry-After` wait obeyed, in milliseconds; longer ones are cut. Required. */
  maxRetryAfterMs: number;
  /** Where pauses and refused credentials are logged. Required. */
  logger: Logger;
  /** Called (from an unref'd timer) when a pause or an auth wait is over. Required. */
  onWake: () => void;
  /** Epoch milliseconds now; tests pass their own. @default Date.now */
  now?: () => number;
}

// Timers may fire a little early against Date.now(); waking this much later never finds the
// destination still closed.
const WAKE_SLACK_MS = 5;

/**
 * What the collector said that holds for every batch, not just the one it answered: a
 * `Retry-After` pause and refused credentials. All drains ask it before each attempt, so that
 * concurrent drains obey it together.
 */
export class Destination {
  private readonly options: DestinationOptions;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pausedUntil = 0;
  private isAuthFailedValue = false;
  private authRetryAtMs = 0;
  private isAuthProbeOut = false;
  private isClosed = false;

  constructor(options: DestinationOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Whether credentials were refused (401, 403) and no answer since said otherwise. */
  get isAuthFailed(): boolean {
    return this.isAuthFailedValue;
  }

  /** Epoch milliseconds the `Retry-After` pause ends; undefined when there is none. */
  get pausedUntilMs(): number | undefined {
    return this.now() < this.pausedUntil ? this.pausedUntil : undefined;
  }

  /**
   * Tells whether a batch may go now. While credentials are refused, it says `go` to one
   * caller per `halfOpenAfterMs` (the auth probe), whose outcome must then be reported.
   */
  admit(): Admission {
    const nowMs = this.now();
    if (nowMs < this.pausedUntil) return 'paused';
    if (!this.isAuthFailedValue) return 'go';
    if (this.isAuthProbeOut || nowMs < this.authRetryAtMs) return 'auth-failed';

    this.isAuthProbeOut = true;

    return 'go';
  }

  /**
   * Holds every send for the wait a 429 or 503 asked for, kept within `minRetryAfterMs` and
   * `maxRetryAfterMs`. A pause only ever grows: the longest wait asked for wins.
   *
   * @returns The epoch milliseconds the pause ends.
   */
  pause(retryAfterMs: number, error: HttpStatusError): number {
    const { minRetryAfterMs, maxRetryAfterMs } = this.options;
    const waitMs = Math.min(maxRetryAfterMs, Math.max(minRetryAfterMs, retryAfterMs));
    this.onAnswered();

    return this.holdFor(waitMs, () =>
      this.options.logger.warn(
        { status: error.status, retryAfterMs, waitMs, until: this.pausedUntilIso() },
        'the collector asked us to wait; no batch goes before then',
      ),
    );
  }

  /**
   * Holds every send for `waitMs`, for a reason of our own (the log could not delete what the
   * collector acknowledged). Like {@link pause}, a hold only ever grows.
   *
   * @returns The epoch milliseconds the hold ends.
   */
  hold(waitMs: number): number {
    return this.holdFor(waitMs, () => undefined);
  }

  private holdFor(waitMs: number, logStart: () => void): number {
    const nowMs = this.now();
    const untilMs = nowMs + waitMs;
    if (untilMs <= this.pausedUntil) return this.pausedUntil;

    const isNew = this.pausedUntil <= nowMs;
    this.pausedUntil = untilMs;
    if (isNew) logStart();
    this.wakeAt(untilMs);

    return untilMs;
  }

  private pausedUntilIso(): string {
    return new Date(this.pausedUntil).toISOString();
  }

  /** Records a 401 or 403: sending stops, and one probe goes every `halfOpenAfterMs`. */
  onAuthRefused(error: HttpStatusError): void {
    const { halfOpenAfterMs, logger } = this.options;
    if (!this.isAuthFailedValue) {
      logger.error(
        { status: error.status, detail: error.detail, retryInMs: halfOpenAfterMs },
        'the collector refused our credentials; sending stops and is tried again now and then',
      );
    }
    this.isAuthFailedValue = true;
    this.isAuthProbeOut = false;
    this.authRetryAtMs = this.now() + halfOpenAfterMs;
    this.wakeAt(this.authRetryAtMs);
  }

  /** Records an answer other than 401 or 403: refused credentials, if any, work again. */
  onAnswered(): void {
    this.isAuthProbeOut = false;
    if (!this.isAuthFailedValue) return;

    this.isAuthFailedValue = false;
    this.options.logger.info('the collector accepts our credentials again; sending resumes');
  }

  /** Records a send that got no answer: an auth probe, if it was one, is tried again later. */
  onUnanswered(): void {
    if (!this.isAuthProbeOut) return;

    this.isAuthProbeOut = false;
    this.authRetryAtMs = this.now() + this.options.halfOpenAfterMs;
    this.wakeAt(this.authRetryAtMs);
  }

  /** Calls `onWake` at `atMs` (epoch milliseconds), unless closed before. */
  wakeAt(atMs: number): void {
    if (this.isClosed) return;

    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.options.onWake();
      },
      Math.max(0, atMs - this.now()) + WAKE_SLACK_MS,
    );
    // The agent must not keep its host alive to end a pause; a host that exits loses nothing,
    // since the records wait in the log.
    timer.unref();
    this.timers.add(timer);
  }

  /** Cancels every pending wake-up. */
  close(): void {
    this.isClosed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
