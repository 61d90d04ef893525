import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { resolveConfig, type AgentConfig, type AgentOptions } from './config.js';
import { ConfigError } from './errors.js';
import { buildHeartbeat, CollectorClient, Sender, initialSenderStats } from './delivery/index.js';
import { Flusher } from './flusher.js';
import { defaultLogger, type Logger } from './logger.js';
import { Meter, type MeterHost } from './meter/index.js';
import { closeOnSignals } from './signals.js';
import { buildStats, type AgentStats } from './stats.js';
import { VERSION } from './version.js';
import { WriteAheadLog, type DropReason } from './wal/index.js';

export type { AgentStats } from './stats.js';

/** Options of {@link createAgent}: the configuration plus what cannot come from the environment. */
export interface CreateAgentOptions extends AgentOptions {
  /**
   * A pino (or pino-compatible) logger; each component logs through a child of it. @default
   * silent
   */
  logger?: Logger;
  /** Where time comes from; tests pass their own. @default the system clock */
  clock?: Clock;
}

/** Options of {@link Agent.close}. */
export interface CloseOptions {
  /** Milliseconds to flush and ship what is pending before the log is closed. @default 5000 */
  timeoutMs?: number;
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
  private readonly flusher: Flusher;
  private readonly opening: Promise<WriteAheadLog | undefined>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly removeSignalHandlers: (() => void) | undefined;
  private log: WriteAheadLog | undefined;
  private sender: Sender | undefined;
  private openError: unknown;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link createAgent}. */
  constructor(config: AgentConfig, parts: AgentParts = {}) {
    checkParts(parts);
    this.config = config;
    this.baseLogger = parts.logger ?? defaultLogger();
    this.logger = this.baseLogger.child({ component: 'agent' });
    this.clock = parts.clock ?? systemClock;
    this.meter = new Meter({
      clock: this.clock,
      maxSeries: config.maxSeries,
      onOverflow: () =>
        this.logger.warn(
          { maxSeries: config.maxSeries, reason: 'overflow' },
          'more series than maxSeries: further calls fold into the overflow series',
        ),
    });
    this.meter.isEnabled = config.enableMetrics;
    this.client = new CollectorClient(config);
    this.opening = this.open(parts.openAfter);
    this.flusher = new Flusher({
      meter: this.meter,
      opening: this.opening,
      clock: this.clock,
      logger: this.logger,
      onAppended: (log) => {
        if (log.pendingCount >= config.batchSize) this.sender?.requestSend();
      },
    });
    // The flush loop runs from the start, whether or not the log opens: when it cannot, each
    // flush counts what it drains as lost instead of letting calls pile up in memory.
    this.every(config.flushIntervalMs, () => void this.flush());
    closeBeforeExit(this);
    if (config.handleSignals) {
      const timeoutMs = config.requestTimeoutMs;
      this.removeSignalHandlers = closeOnSignals(() => this.close({ timeoutMs }), this.logger);
    }
  }

  /**
   * Resolves once the log is open and the loops run. Nobody has to wait for it: calls are
   * counted in memory from the start. It rejects with the open error (`ERR_TPS_STORAGE`, or
   * `ERR_TPS_DATADIR_LOCKED` when another agent holds the data dir) for a caller who wants to
   * fail fast; the agent itself keeps the host running and counts what it cannot keep under
   * `droppedMetrics.storage`.
   */
  async ready(): Promise<void> {
    const log = await this.opening;
    if (log === undefined && this.openError !== undefined) throw this.openError;
  }

  /**
   * Appends what is in memory to the log now, in one synced batch.
   *
   * @returns How many records were appended; 0 when nothing was pending or the log refused
   *   them (they then wait in memory for the next flush, within a bound). It never rejects.
   */
  flush(): Promise<number> {
    return this.flusher.flush();
  }

  /** A snapshot of the agent's counters; see `docs/guarantees.md` for each one. */
  getStats(): AgentStats {
    return buildStats({
      serverId: this.config.serverId,
      log: this.log,
      sender: this.sender?.stats() ?? initialSenderStats(this.closing ? 'stopped' : 'idle'),
      storageDropped: this.flusher.droppedRecords,
      unwritten: this.flusher.unwrittenRecords,
      overflowedCalls: this.meter.overflowedCalls,
      seriesCount: this.meter.seriesCount,
      isClosed: this.closing !== undefined,
    });
  }

  /**
   * Stops measuring, flushes, ships what it can before `timeoutMs`, and closes the log. What
   * was not acknowledged by then stays in the log for the next start. A second call warns and
   * returns the first call's promise. It never rejects.
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
        maxBytes: this.config.maxLocalBytes,
        onDropped: this.onDropped,
      });
      this.log = log;
      if (log.recovery !== undefined) this.warnOnce('TPS_STORE_RECOVERED', log.recovery.error);
      this.sender = new Sender({
        log,
        client: this.client,
        serverId: this.config.serverId,
        batchSize: this.config.batchSize,
        maxRetries: this.config.maxRetries,
        concurrency: this.config.senderConcurrency,
        logger: this.baseLogger.child({ component: 'sender' }),
      });
      // An agent closed while its log was opening still flushes into it and ships once.
      if (!this.closing) this.startLoops();

      return log;
    } catch (error) {
      this.openError = error;
      this.logger.error({ err: error }, 'the write-ahead log did not open; nothing is kept');
      this.warnOnce((error as { code?: string }).code ?? 'ERR_TPS_STORAGE', String(error));
      return undefined;
    }
  }

  // The default logger is silent, and a store that will not open means every call is lost:
  // a process warning (printed by node unless the host silences warnings) makes it visible.
  private warnOnce(code: string, message: string): void {
    process.emitWarning(`tps-agent: ${message}`, { code });
  }

  private readonly onDropped = (reason: DropReason, count: number): void => {
    this.logger.warn({ records: count, reason }, 'records dropped from the local log unsent');
  };

  private startLoops(): void {
    const { transmissionIntervalSeconds, heartbeatIntervalSeconds } = this.config;
    const retentionMs = this.config.localRetentionMinutes * 60_000;
    this.every(transmissionIntervalSeconds * 1000, () => this.sender?.requestSend());
    this.every(heartbeatIntervalSeconds * 1000, () => void this.sendHeartbeat());
    this.every(Math.min(60_000, retentionMs / 4), () => void this.sweep());

    void this.sweep().then(() => this.sender?.requestSend());
    void this.sendHeartbeat();
  }

  private every(intervalMs: number, task: () => void): void {
    this.timers.push(setInterval(task, intervalMs).unref());
  }

  private async sweep(): Promise<void> {
    const log = this.log;
    if (log === undefined || log.isClosed) return;

    try {
      // The log reports what it dropped through onDropped, once a sweep.
      await log.sweep(this.config.localRetentionMinutes * 60_000);
    } catch (error) {
      this.logger.error({ err: error }, 'the retention sweep failed; it runs again later');
    }
  }

  private async sendHeartbeat(signal?: AbortSignal): Promise<void> {
    const log = this.log;
    if (log === undefined || log.isClosed) return;
    // While the breaker is open the collector is failing: the breaker's one probe per period
    // is all it should see of us. Heartbeats resume once a probe got through.
    if (this.sender?.stats().state === 'open') return;

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
          duplicatesAcknowledged: stats.duplicatesAcknowledged,
          dropped: stats.droppedMetrics,
          lastTransmission: stats.lastTransmission,
          senderState: stats.sender.state,
        },
        this.clock.wallMs(),
      );
      await this.client.postHeartbeat(heartbeat, signal);
    } catch (error) {
      this.logger.debug({ err: error }, 'heartbeat not delivered');
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    forgetBeforeExit(this);
    this.removeSignalHandlers?.();
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
      this.flusher.abandonUnwritten();
      if (log !== undefined && this.sender !== undefined) {
        await this.sender.drainUntil(deadline.signal);
        // A last heartbeat, so the collector sees what this agent leaves pending.
        if (!deadline.signal.aborted) await this.sendHeartbeat(deadline.signal);
        await this.sender.stop();
        await log.close();
      }
    } catch (error) {
      this.logger.error({ err: error }, 'closing did not finish cleanly');
    } finally {
      clearTimeout(deadlineTimer);
      this.client.close();
    }
  }
}

// One process listener for every agent, rather than one each: eleven agents would otherwise
// trip node's MaxListenersExceededWarning on the host's stderr.
const agentsToCloseBeforeExit = new Set<Agent>();

function closeBeforeExit(agent: Agent): void {
  if (agentsToCloseBeforeExit.size === 0) process.on('beforeExit', closeAllBeforeExit);
  agentsToCloseBeforeExit.add(agent);
}

function forgetBeforeExit(agent: Agent): void {
  agentsToCloseBeforeExit.delete(agent);
  if (agentsToCloseBeforeExit.size === 0) process.off('beforeExit', closeAllBeforeExit);
}

/** When the host's event loop runs dry, each agent ships what is pending once, then closes. */
function closeAllBeforeExit(): void {
  for (const agent of [...agentsToCloseBeforeExit]) {
    void agent.close({ timeoutMs: agent.config.requestTimeoutMs });
  }
}

const LOGGER_METHODS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child'] as const;
const CLOCK_METHODS = ['monotonicMs', 'wallMsAt', 'wallMs', 'calibrate'] as const;

/** Refuses a logger or clock the agent could not use, at creation rather than in a loop. */
function checkParts(parts: AgentParts): void {
  const check = (field: string, value: unknown, methods: readonly string[], what: string) => {
    if (value === undefined) return;
    const missing = methods.filter(
      (method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function',
    );
    if (missing.length > 0) {
      throw new ConfigError(
        field,
        `option '${field}' must be ${what}; it lacks ${missing.join(', ')}`,
      );
    }
  };
  check('logger', parts.logger, LOGGER_METHODS, 'a pino-compatible logger');
  check('clock', parts.clock, CLOCK_METHODS, 'a Clock');
}
