import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { resolveConfig, type AgentConfig, type AgentOptions } from './config.js';
import { buildHeartbeat, CollectorClient, Sender, type SenderStats } from './delivery/index.js';
import { defaultLogger, type Logger } from './logger.js';
import { Meter, type MeterHost } from './meter/index.js';
import type { DroppedCounts } from './protocol/types.js';
import { VERSION } from './version.js';
import { WriteAheadLog } from './wal/index.js';

/** Options of {@link createAgent}: the configuration plus what cannot come from the environment. */
export interface CreateAgentOptions extends AgentOptions {
  /** A pino (or pino-compatible) logger; each component logs through a child of it. @default silent */
  logger?: Logger;
  /** Where time comes from; tests pass their own. @default the system clock */
  clock?: Clock;
}

/** Options of {@link Agent.close}. */
export interface CloseOptions {
  /** Milliseconds to flush and ship what is pending before the log is closed. @default 5000 */
  timeoutMs?: number;
}

/** A snapshot of an agent's counters, from {@link Agent.getStats}. */
export interface AgentStats {
  /** The agent's id, kept in its data dir; null until the log is open. */
  agentId: string | null;
  serverId: string;
  /** Records waiting in the log for the collector's acknowledgement. */
  localMetricsCount: number;
  /** Records ever appended to this data dir. */
  totalMetricsStored: number;
  /** Records ever acknowledged by the collector and deleted. */
  totalMetricsSent: number;
  /** Records lost, by reason: `retention` (older than the retention), `storage` (not written). */
  droppedMetrics: DroppedCounts;
  /** ISO-8601 time of the last acknowledged batch; null before the first. */
  lastTransmission: string | null;
  /** The sender's state; `state` is `stopped` once closed, `idle` before the log opened. */
  sender: SenderStats;
  /** Distinct (gateway, endpoint, tags) series measured. */
  seriesCount: number;
  isClosed: boolean;
}

/** What an agent needs besides its configuration. */
interface AgentParts {
  logger?: Logger;
  clock?: Clock;
  /** Settles when the data dir is free to open, e.g. once the agent this one replaces closed. */
  openAfter?: Promise<unknown>;
}

/**
 * Creates an agent: opens (or creates) its write-ahead log under `dataDir` in the background
 * and starts its flush, send, heartbeat and retention loops. Its timers are unref'd, so the
 * agent never keeps a process alive on its own.
 *
 * @param dataDir - Directory of the log; overrides `options.dataDir` and `TPS_DATA_DIR`.
 * @throws {@link ConfigError} (`ERR_TPS_CONFIG`) for a malformed option or variable.
 * @example
 * const agent = createAgent('./data', { collectorUrl: 'http://127.0.0.1:8080' });
 * const charge = measureTps({ gateway: 'payments', agent })(chargeCard);
 */
export function createAgent(dataDir?: string, options: CreateAgentOptions = {}): Agent {
  const { logger, clock, ...agentOptions } = options;
  const config = resolveConfig(dataDir === undefined ? agentOptions : { ...agentOptions, dataDir });

  return new Agent(config, { logger, clock });
}

/**
 * One agent: an in-memory meter on the hot path, a write-ahead log on disk, and a sender that
 * ships the log to the collector. Build it with {@link createAgent} or `configureAgent()`.
 */
export class Agent implements MeterHost, AsyncDisposable {
  /** The resolved configuration. */
  readonly config: AgentConfig;
  /** Where wrapped calls are counted. */
  readonly meter: Meter;
  private readonly baseLogger: Logger;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly client: CollectorClient;
  private readonly opening: Promise<WriteAheadLog | undefined>;
  private readonly timers: NodeJS.Timeout[] = [];
  private log: WriteAheadLog | undefined;
  private sender: Sender | undefined;
  private openError: unknown;
  private droppedStorage = 0;
  private flushChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /** @internal Use {@link createAgent}. */
  constructor(config: AgentConfig, parts: AgentParts = {}) {
    this.config = config;
    this.baseLogger = parts.logger ?? defaultLogger();
    this.logger = this.baseLogger.child({ component: 'agent' });
    this.clock = parts.clock ?? systemClock;
    this.meter = new Meter({ clock: this.clock });
    this.meter.isEnabled = config.enableMetrics;
    this.client = new CollectorClient(config);
    this.opening = this.open(parts.openAfter);
    process.on('beforeExit', this.onBeforeExit);
  }

  /**
   * Resolves once the log is open and the loops run. Nobody has to wait for it: calls are
   * counted in memory from the start. It rejects with the open error (`ERR_TPS_STORAGE`) for
   * a caller who wants to fail fast; the agent itself keeps the host running and counts what
   * it cannot keep under `droppedMetrics.storage`.
   */
  async ready(): Promise<void> {
    const log = await this.opening;
    if (log === undefined && this.openError !== undefined) throw this.openError;
  }

  /**
   * Appends what is in memory to the log now, in one synced batch.
   *
   * @returns How many records were appended; 0 when nothing was pending or the log failed
   *   (the loss is then counted under `droppedMetrics.storage`). It never rejects.
   */
  flush(): Promise<number> {
    const run = this.flushChain.then(() => this.appendDrained());
    this.flushChain = run;
    return run;
  }

  /** A snapshot of the agent's counters. */
  getStats(): AgentStats {
    const counts = this.log?.counts();

    return {
      agentId: this.log?.agentId ?? null,
      serverId: this.config.serverId,
      localMetricsCount: this.log?.pendingCount ?? 0,
      totalMetricsStored: this.log?.totalStored ?? 0,
      totalMetricsSent: counts?.sent ?? 0,
      droppedMetrics: { retention: counts?.retention ?? 0, storage: this.droppedStorage },
      lastTransmission: this.sender?.stats().lastTransmission ?? null,
      sender: this.sender?.stats() ?? {
        state: this.closing ? 'stopped' : 'idle',
        lastTransmission: null,
        failedSends: 0,
        lastError: null,
      },
      seriesCount: this.meter.seriesCount,
      isClosed: this.closing !== undefined,
    };
  }

  /**
   * Stops measuring, flushes, ships what it can before `timeoutMs`, and closes the log. What
   * was not acknowledged by then stays in the log for the next start. A second call warns and
   * returns the first call's promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) {
      this.logger.warn('close() called on an agent that is already closing');
      return this.closing;
    }
    this.closing = this.shutdown(options.timeoutMs ?? 5000);

    return this.closing;
  }

  /** Closes the agent with the default deadline, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closing ?? this.close();
  }

  private async open(openAfter: Promise<unknown> | undefined): Promise<WriteAheadLog | undefined> {
    try {
      await openAfter;
      const log = await WriteAheadLog.open(join(this.config.dataDir, 'wal'), {
        logger: this.baseLogger,
        clock: this.clock,
      });
      this.log = log;
      this.sender = new Sender({
        log,
        client: this.client,
        serverId: this.config.serverId,
        batchSize: this.config.batchSize,
        maxRetries: this.config.maxRetries,
        logger: this.baseLogger.child({ component: 'sender' }),
      });
      // An agent closed while its log was opening still flushes into it and ships once.
      if (!this.closing) this.startLoops();

      return log;
    } catch (error) {
      this.openError = error;
      this.logger.error({ err: error }, 'the write-ahead log did not open; nothing is kept');
      return undefined;
    }
  }

  private startLoops(): void {
    const { flushIntervalMs, transmissionIntervalSeconds, heartbeatIntervalSeconds } = this.config;
    const retentionMs = this.config.localRetentionMinutes * 60_000;
    this.every(flushIntervalMs, () => void this.flush());
    this.every(transmissionIntervalSeconds * 1000, () => this.sender?.requestSend());
    this.every(heartbeatIntervalSeconds * 1000, () => void this.sendHeartbeat());
    this.every(Math.min(60_000, retentionMs / 4), () => void this.sweep());

    void this.sweep().then(() => this.sender?.requestSend());
    void this.sendHeartbeat();
  }

  private every(intervalMs: number, task: () => void): void {
    this.timers.push(setInterval(task, intervalMs).unref());
  }

  private async appendDrained(): Promise<number> {
    this.clock.calibrate();
    const drafts = this.meter.drain();
    if (drafts.length === 0) return 0;

    const log = await this.opening;
    try {
      if (log === undefined || log.isClosed) throw this.openError ?? new Error('log is closed');
      await log.append(drafts);
    } catch (error) {
      this.droppedStorage += drafts.length;
      const calls = drafts.reduce((sum, draft) => sum + draft.count, 0);
      this.logger.error(
        { err: error, records: drafts.length, calls, reason: 'storage' },
        'records could not be written to the log and are dropped',
      );
      return 0;
    }

    if (log.pendingCount >= this.config.batchSize) this.sender?.requestSend();
    return drafts.length;
  }

  private async sweep(): Promise<void> {
    const log = this.log;
    if (log === undefined || log.isClosed) return;

    const cutoffMs = this.clock.wallMs() - this.config.localRetentionMinutes * 60_000;
    try {
      const dropped = await log.sweep(cutoffMs);
      if (dropped > 0) {
        this.logger.warn(
          { records: dropped, reason: 'retention', cutoff: new Date(cutoffMs).toISOString() },
          'records older than the local retention were dropped unsent',
        );
      }
    } catch (error) {
      this.logger.error({ err: error }, 'the retention sweep failed; it runs again later');
    }
  }

  private async sendHeartbeat(): Promise<void> {
    const log = this.log;
    if (log === undefined || log.isClosed) return;

    try {
      const stats = this.getStats();
      const heartbeat = buildHeartbeat(
        {
          agentId: log.agentId,
          serverId: this.config.serverId,
          version: VERSION,
          heartbeatIntervalSeconds: this.config.heartbeatIntervalSeconds,
          pending: stats.localMetricsCount,
          oldestPendingWallMs: await log.oldestPendingTime(),
          totalStored: stats.totalMetricsStored,
          totalSent: stats.totalMetricsSent,
          dropped: stats.droppedMetrics,
          lastTransmission: stats.lastTransmission,
          senderState: stats.sender.state,
        },
        this.clock.wallMs(),
      );
      await this.client.postHeartbeat(heartbeat);
    } catch (error) {
      this.logger.debug({ err: error }, 'heartbeat not delivered');
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    process.off('beforeExit', this.onBeforeExit);
    for (const timer of this.timers) clearInterval(timer);
    const deadline = new AbortController();
    // Ref'd on purpose, unlike every other timer of the agent: a host awaiting close() must see
    // it settle, even when the only work left is a retry's backoff, whose timer is unref'd.
    const deadlineTimer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      // Stop counting first, so the final flush takes every call recorded before close.
      this.meter.isEnabled = false;
      const log = await this.opening;
      await this.flush();
      if (log !== undefined && this.sender !== undefined) {
        await this.sender.drainUntil(deadline.signal);
        await this.sender.stop();
        await log.close();
      }
      this.client.close();
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  /** When the host's event loop runs dry, ship what is pending once before the process ends. */
  private readonly onBeforeExit = (): void => {
    void this.close({ timeoutMs: this.config.requestTimeoutMs });
  };
}
