import { CircuitState, type CircuitBreakerPolicy } from 'cockatiel';
import PQueue from 'p-queue';
import type { HttpStatusError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BatchAck } from '../protocol/types.js';
import type { WriteAheadLog } from '../wal/index.js';
import { readAck } from './ack.js';
import { BatchClaims, type Claim } from './claims.js';
import type { CollectorClient } from './client.js';
import { Destination } from './destination.js';
import {
  checkInteger,
  createBreaker,
  resolveSendPolicyOptions,
  type ResolvedSendPolicyOptions,
  type SendPolicyOptions,
} from './policy.js';
import { sendWithRetries, untilAborted, type RetryContext, type SendOutcome } from './retry.js';
import { initialSenderStats, type SenderState, type SenderStats } from './stats.js';

/** Options of a {@link Sender}; the retry, breaker and pause options are in the base type. */
export interface SenderOptions extends SendPolicyOptions {
  /** The log to drain; the sender reads, deletes and quarantines in it. Required. */
  log: WriteAheadLog;
  /** The client to post with. Required. */
  client: CollectorClient;
  /** The `server_id` every batch carries. Required. */
  serverId: string;
  /** Records in one request, an integer from 1. Required. */
  batchSize: number;
  /**
   * Most batches in flight at once, an integer from 1 to 16. The sender starts with one and
   * adds a drain each time a full batch is acknowledged; any batch that fails or is held back
   * narrows it to one again. Batches leave oldest first, but may be acknowledged out of order.
   *
   * @default 1
   */
  concurrency?: number;
  /** Where the sender logs; pass a child bound to `{ component: 'sender' }`. Required. */
  logger: Logger;
}

/**
 * Ships the log's oldest records to the collector and deletes each record only once the
 * collector acknowledged it. Up to `concurrency` drains run at once, each sending full batches
 * back to back; what a batch meets (a pause, refused credentials, an open breaker, a rejection)
 * is handled per destination, so that every drain obeys it. Nothing it does throws into the
 * host: failures are logged and counted in {@link stats}.
 */
export class Sender {
  private readonly options: SenderOptions;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly queue: PQueue;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly destination: Destination;
  private readonly retry: RetryContext;
  private readonly claims: BatchClaims;
  private readonly stopController = new AbortController();
  /** Batches being sent, deletes and quarantines included: stop() waits for these. */
  private readonly batchesInFlight = new Set<Promise<unknown>>();
  /** The counters of {@link stats}; its state fields are computed there instead. */
  private readonly counts = initialSenderStats();
  private isBreakerOpen = false;
  private isStopped = false;
  /** Deletes of acknowledged records that failed in a row. */
  private deleteFailures = 0;
  private readonly policy: ResolvedSendPolicyOptions;

  /** @throws {RangeError} for an option out of its range, naming it. */
  constructor(options: SenderOptions) {
    const policy = resolveSendPolicyOptions(options);
    this.policy = policy;
    this.concurrency = options.concurrency ?? 1;
    checkInteger('concurrency', this.concurrency, 1, 16);
    checkInteger('batchSize', options.batchSize, 1);

    this.options = options;
    this.logger = options.logger;
    this.queue = new PQueue({ concurrency: 1 });
    this.breaker = createBreaker(policy);
    this.destination = new Destination({ ...policy, logger: this.logger, onWake: this.wake });
    this.retry = {
      client: options.client,
      logger: this.logger,
      options: policy,
      breaker: this.breaker,
      destination: this.destination,
    };
    this.claims = new BatchClaims(options.log, options.batchSize);
    this.watchBreaker(policy.halfOpenAfterMs);
  }

  /**
   * Starts a drain of the log unless one is already waiting to run. Drains beyond the first
   * are let run as the collector takes full batches (see `concurrency`).
   */
  requestSend(): void {
    if (this.isStopped || this.queue.size > 0) return;

    void this.queue.add(() => this.drain(this.stopController.signal));
  }

  /**
   * Drains the log until it is empty, a send fails or is held back (pause, open breaker,
   * refused credentials), or `signal` aborts (the caller's deadline). Never rejects.
   */
  async drainUntil(signal: AbortSignal): Promise<void> {
    if (this.isStopped || signal.aborted) return;

    const combined = AbortSignal.any([signal, this.stopController.signal]);
    const drained = this.queue.add(() => this.drain(combined)).then(() => this.queue.onIdle());
    // The drains end on their own signals; this only stops the caller from waiting longer.
    await Promise.race([drained, untilAborted(combined)]).catch(() => undefined);
  }

  /** Snapshot for stats and heartbeats. */
  stats(): SenderStats {
    const pausedUntilMs = this.destination.pausedUntilMs;

    return {
      ...this.counts,
      state: this.state(),
      pausedUntil: pausedUntilMs === undefined ? null : new Date(pausedUntilMs).toISOString(),
      isAuthFailed: this.destination.isAuthFailed,
    };
  }

  /**
   * Stops sending: aborts the requests in flight and the backoff sleeps, then waits for the
   * deletes (and quarantines) of batches the collector answered before the abort, so that the
   * log can close after them. A second call returns at once.
   */
  async stop(): Promise<void> {
    if (this.isStopped) return;

    this.isStopped = true;
    this.stopController.abort();
    this.queue.clear();
    this.destination.close();
    // Aborted requests and sleeps settle within a tick; what is left is a write to the log.
    await Promise.allSettled([...this.batchesInFlight]);
  }

  private state(): SenderState {
    if (this.isStopped) return 'stopped';
    if (this.destination.isAuthFailed) return 'auth-failed';
    if (this.destination.pausedUntilMs !== undefined) return 'paused';
    if (this.breaker.state !== CircuitState.Closed) return 'open';

    return this.queue.pending > 0 ? 'sending' : 'idle';
  }

  private readonly wake = (): void => this.requestSend();

  private async drain(signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted && !this.options.log.isClosed) {
        const claim = await this.claims.claimNext();
        if (claim === undefined) return;

        const isFull = claim.records.length === this.options.batchSize;
        const goOn = await this.track(this.sendClaim(claim, signal)).finally(() =>
          this.claims.release(claim),
        );
        if (!goOn) {
          this.queue.concurrency = 1;
          return;
        }
        if (!isFull) return;

        this.widen();
      }
    } catch (error) {
      this.logUnexpected(error, signal);
    }
  }

  /**
   * Lets one more drain run, up to `concurrency`, and starts it. Called only after a full batch
   * went through, and any batch that does not narrows back to one drain: a failing collector
   * never has more than one batch coming (besides those already on the wire), and a recovering
   * one sees the load ramp up.
   */
  private widen(): void {
    if (this.queue.concurrency >= this.concurrency) return;

    this.queue.concurrency += 1;
    this.requestSend();
  }

  /** Sends one claimed batch and settles its records. @returns whether to go on draining. */
  private async sendClaim(claim: Claim, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;

    const { log, serverId } = this.options;
    const batch = { agent_id: log.agentId, server_id: serverId, records: claim.records };
    const outcome = await sendWithRetries(this.retry, batch, signal);

    return this.settle(claim, outcome);
  }

  private async settle(claim: Claim, outcome: SendOutcome): Promise<boolean> {
    switch (outcome.kind) {
      case 'acked':
        return this.onAcked(claim, outcome.ack);
      case 'rejected':
        return this.onRejected(claim, outcome.error);
      case 'failed':
        this.onFailed(claim, outcome.error);
        return false;
      case 'held':
        this.logger.debug({ reason: outcome.reason, records: claim.seqs.length }, 'batch held');
        return false;
    }
  }

  /** Deletes what the ack names. @returns false when it left records out. */
  private async onAcked(claim: Claim, ack: BatchAck): Promise<boolean> {
    const { toDelete, duplicates, unnamed } = readAck(claim.seqs, ack);
    this.counts.duplicatesAcknowledged += duplicates;
    this.counts.lastTransmission = new Date().toISOString();
    this.counts.lastError = null;
    if (unnamed.length > 0) {
      // Left for a later round rather than resent now, so a collector that keeps leaving them
      // out costs one request per round, not a loop.
      this.logger.warn(
        { records: claim.seqs.length, unnamed: unnamed.length, firstUnnamedSeq: unnamed[0] },
        'the ack did not name every record; those stay in the log for a later round',
      );
    }

    // Deleted only after the acknowledgement: a crash before this line resends the batch, and
    // the collector recognises each record by (agent id, seq) and applies it once.
    if (toDelete.length > 0 && !(await this.deleteSent(toDelete))) return false;

    return unnamed.length === 0;
  }

  /**
   * Deletes acknowledged records. When the log cannot (a damaged store that only a reopen
   * repairs), the records stay and would be resent every round, each one a duplicate the
   * collector ignores: so sending is held, longer after each failure in a row, and the failure
   * shows in `lastError`. @returns whether the delete went through.
   */
  private async deleteSent(seqs: readonly number[]): Promise<boolean> {
    try {
      await this.options.log.delete(seqs, 'sent');
      this.deleteFailures = 0;

      return true;
    } catch (error) {
      if (this.options.log.isClosed) throw error;

      this.deleteFailures += 1;
      const { halfOpenAfterMs, maxRetryAfterMs } = this.policy;
      const waitMs = Math.min(maxRetryAfterMs, halfOpenAfterMs * 2 ** (this.deleteFailures - 1));
      const until = new Date(this.destination.hold(waitMs)).toISOString();
      const message = error instanceof Error ? error.message : String(error);
      this.counts.lastError = `acknowledged records could not be deleted: ${message}`;
      const fields = { err: error, records: seqs.length, failures: this.deleteFailures, until };
      const text = 'acknowledged records could not be deleted; sending is held, then resends them';
      if (this.deleteFailures === 1) this.logger.error(fields, text);
      else this.logger.debug(fields, text);

      return false;
    }
  }

  /** Quarantines a batch the collector called bad, so the records after it keep flowing. */
  private async onRejected(claim: Claim, error: HttpStatusError): Promise<boolean> {
    const quarantined = await this.options.log.quarantine(claim.seqs, 'rejected', error.detail);
    this.counts.rejectedRecords += quarantined;
    this.logger.error(
      {
        status: error.status,
        detail: error.detail,
        records: claim.seqs.length,
        quarantined,
        firstSeq: claim.seqs[0],
        lastSeq: claim.seqs[claim.seqs.length - 1],
      },
      'the collector rejected a batch; its records were moved to the quarantine',
    );

    return true;
  }

  private onFailed(claim: Claim, error: unknown): void {
    this.counts.failedSends += 1;
    this.counts.lastError = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      { err: error, records: claim.seqs.length, pending: this.options.log.pendingCount },
      'send failed after its retries; the records stay in the log for the next round',
    );
  }

  private logUnexpected(error: unknown, signal: AbortSignal): void {
    // A log closed under a stopping sender is the normal end of a drain, not news.
    if (signal.aborted || this.options.log.isClosed) {
      this.logger.debug({ err: error }, 'drain ended by stop');
      return;
    }
    this.logger.error({ err: error }, 'drain failed; the records stay in the log');
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.batchesInFlight.add(work);
    void work.finally(() => this.batchesInFlight.delete(work)).catch(() => undefined);

    return work;
  }

  private watchBreaker(halfOpenAfterMs: number): void {
    this.breaker.onHalfOpen(() => (this.counts.probes += 1));
    this.breaker.onReset(() => {
      this.isBreakerOpen = false;
      this.logger.info('the collector answers again; breaker closed');
    });
    this.breaker.onBreak(() => {
      const fields = { halfOpenAfterMs, pending: this.options.log.pendingCount };
      if (this.isBreakerOpen) this.logger.debug(fields, 'probe failed; breaker open again');
      else this.logger.warn(fields, 'the collector is failing; breaker open, one probe a period');
      this.isBreakerOpen = true;
      // Wake for the probe rather than wait for the host's next round.
      this.destination.wakeAt(Date.now() + halfOpenAfterMs);
    });
  }
}
