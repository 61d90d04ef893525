/**
 * What the sender is doing, most pressing first:
 * - `stopped`: `stop()` was called;
 * - `auth-failed`: the collector refused our credentials (401, 403); one try per
 *   `halfOpenAfterMs` until it accepts them;
 * - `paused`: the collector asked us to wait (`Retry-After`), or the log could not delete records
 *   the collector acknowledged (`lastError` says so); see `pausedUntil`;
 * - `open`: the breaker stopped sends after repeated failures; a probe follows;
 * - `sending`: a drain is running;
 * - `idle`: nothing to do, or waiting for the next round.
 */
export type SenderState = 'idle' | 'sending' | 'open' | 'paused' | 'auth-failed' | 'stopped';

/** A snapshot of the sender for stats and heartbeats. */
export interface SenderStats {
  state: SenderState;
  /** ISO-8601 time of the last acknowledged batch; null before the first. */
  lastTransmission: string | null;
  /** Batches whose every retry failed, since start. Held, rejected and refused sends are not. */
  failedSends: number;
  /** The last failed send's message, or why acknowledged records stay; null after a success. */
  lastError: string | null;
  /** Records the collector acknowledged as applied before (a resend), since start. */
  duplicatesAcknowledged: number;
  /** Records the collector rejected and the sender moved to the log's quarantine, since start. */
  rejectedRecords: number;
  /** ISO-8601 time a `Retry-After` pause ends; null when there is none. */
  pausedUntil: string | null;
  /** Whether the collector refused our credentials and has not accepted them since. */
  isAuthFailed: boolean;
  /** Requests sent while the breaker was half-open, since start. */
  probes: number;
}

/**
 * The stats of a sender that has sent nothing, for a host that has no sender yet (its log is
 * still opening) or no more.
 *
 * @param state - @default 'idle'
 */
export function initialSenderStats(state: SenderState = 'idle'): SenderStats {
  return {
    state,
    lastTransmission: null,
    failedSends: 0,
    lastError: null,
    duplicatesAcknowledged: 0,
    rejectedRecords: 0,
    pausedUntil: null,
    isAuthFailed: false,
    probes: 0,
  };
}
