import { CircuitState } from 'cockatiel';
import PQueue from 'p-queue';
import type { Logger } from '../logger.js';
import type { WriteAheadLog } from '../wal/index.js';
import type { CollectorClient } from './client.js';
import { createSendPolicy, type SendPolicy, type SendPolicyOptions } from './policy.js';

/**
 * What the sender is doing: `idle` (nothing to do or waiting for its next round), `sending`,
 * `open` (the breaker stopped sends after repeated failures; a probe follows), `stopped`.
 */
export type SenderState = 'idle' | 'sending' | 'open' | 'stopped';

/** Options of a {@link Sender}. */
export interface SenderOptions extends SendPolicyOptions {
  log: WriteAheadLog;
  client: CollectorClient;
  serverId: string;
  /** Records in one request. */
  batchSize: number;
  logger: Logger;
}

/** A snapshot of the sender for stats and heartbeats. */
export interface SenderStats {
  state: SenderState;
  /** ISO-8601 time of the last acknowledged batch; null before the first. */
  lastTransmission: string | null;
  /** Sends that failed after all their retries, since start. */
  failedSends: number;
  /** The last failure's message; null after a success. */
  lastError: string | null;
}

/**
 * Ships the log's oldest records to the collector in key order and deletes a batch only once
 * the collector acknowledged it. One p-queue task drains the backlog back to back; a request
 * while a drain is queued adds nothing.
 */
export class Sender {
  private readonly options: SenderOptions;
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly sendPolicy: SendPolicy;
  private readonly stopController = new AbortController();
  private lastTransmission: string | null = null;
  private failedSends = 0;
  private lastError: string | null = null;
  private isStopped = false;
  /** The delete of an acknowledged batch, while it runs: close waits for it, not for retries. */
  private deleting: Promise<number> | undefined;

  constructor(options: SenderOptions) {
    this.options = options;
    this.sendPolicy = createSendPolicy(options);
  }

  /** Queues a drain of the log unless one is already waiting to run. */
  requestSend(): void {
    if (this.isStopped || this.queue.size > 0) return;
    void this.queue.add(() => this.drain(this.stopController.signal));
  }

  /**
   * Drains the log until it is empty, a send fails, or `signal` aborts (the caller's deadline),
   * after whatever is queued already.
   */
  async drainUntil(signal: AbortSignal): Promise<void> {
    const drained = this.queue.add(() =>
      this.drain(AbortSignal.any([signal, this.stopController.signal])),
    );
    // A retry's backoff cannot be cut short, so the caller's deadline is kept here instead.
    await Promise.race([drained, aborted(signal)]);
  }

  /** Snapshot for stats and heartbeats. */
  stats(): SenderStats {
    return {
      state: this.state(),
      lastTransmission: this.lastTransmission,
      failedSends: this.failedSends,
      lastError: this.lastError,
    };
  }

  /**
   * Stops sending: aborts the request in flight and waits for the delete of an acknowledged
   * batch, so that the log can close after it. A drain asleep in a retry's backoff wakes later
   * to an aborted signal and touches nothing.
   */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.stopController.abort();
    this.queue.clear();
    await this.deleting;
  }

  private state(): SenderState {
    if (this.isStopped) return 'stopped';
    if (this.sendPolicy.breaker.state !== CircuitState.Closed) return 'open';
    return this.queue.pending > 0 ? 'sending' : 'idle';
  }

  private async drain(signal: AbortSignal): Promise<void> {
    const { log, batchSize } = this.options;
    try {
      while (!signal.aborted && !log.isClosed) {
        const records = await log.readOldest(batchSize);
        if (records.length === 0) return;

        await this.sendPolicy.policy.execute(
          ({ signal: attemptSignal }) =>
            this.options.client.postBatch(
              { agent_id: log.agentId, server_id: this.options.serverId, records },
              attemptSignal,
            ),
          signal,
        );
        // Deleted only after the acknowledgement: a crash before this line resends the batch,
        // and the collector recognises each record by (agent id, seq) and applies it once.
        this.deleting = log.delete(
          records.map((record) => record.seq),
          'sent',
        );
        await this.deleting.finally(() => (this.deleting = undefined));
        this.lastTransmission = new Date().toISOString();
        this.lastError = null;
        if (records.length < batchSize) return;
      }
    } catch (error) {
      this.onSendFailed(error, signal);
    }
  }

  private onSendFailed(error: unknown, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.failedSends += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.options.logger.warn(
      { err: error, pending: this.options.log.pendingCount, state: this.state() },
      'send failed; records stay in the log for the next round',
    );
  }
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
