import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { afterAgentMarkers, appliedRange, parseAppliedKey } from './keys.js';
import type { Store } from './store.js';

/** Markers one prune step examines at most; its deletes are one batch of at most this many. */
export const PRUNE_STEP_SIZE = 1000;

/** Longest time between two background prune passes: one hour. */
export const MAX_PRUNE_INTERVAL_MS = 3_600_000;

/** Shortest time between two background prune passes: one second. */
export const MIN_PRUNE_INTERVAL_MS = 1000;

/** Options of a {@link MarkerPruner}. */
export interface MarkerPrunerOptions {
  store: Store;
  logger: Logger;
  /** Wall-clock epoch milliseconds now, the clock the markers' `appliedAt` was read from. */
  now: () => number;
  /** A marker whose `appliedAt` is more than this many milliseconds ago is deleted. */
  windowMs: number;
  /**
   * Markers examined per step, an integer >= 1.
   * @default PRUNE_STEP_SIZE
   */
  stepSize?: number;
}

/** Where a step starts: at a key, or just after one. */
type ScanStart = { gte: string } | { gt: string };

interface StepResult {
  deleted: number;
  /** Where the next step starts; undefined once the markers are all examined. */
  next: ScanStart | undefined;
}

/** How often the background passes run for a window: a quarter of it, within 1 s and 1 h. */
export function pruneIntervalMs(windowMs: number): number {
  return Math.min(MAX_PRUNE_INTERVAL_MS, Math.max(MIN_PRUNE_INTERVAL_MS, windowMs / 4));
}

function appliedAtOf(value: unknown): number | undefined {
  const appliedAt = (value as { appliedAt?: unknown } | null)?.appliedAt;

  return typeof appliedAt === 'number' && Number.isFinite(appliedAt) ? appliedAt : undefined;
}

/**
 * Deletes applied markers older than the dedupe window, so that they stop growing with every
 * record ever applied. A pass walks the markers in key order (agent, then seq) in steps of at
 * most {@link PRUNE_STEP_SIZE}, each step one unsynced batch of deletes, and yields to the event
 * loop between steps. It takes no part in the ingest queue, so batches are never held behind it.
 *
 * Racing ingest is safe: ingest only ever adds a marker that is missing, and a pass only
 * deletes a marker it read as expired, so the two never write the same key to different ends.
 */
export class MarkerPruner {
  private readonly options: Required<MarkerPrunerOptions>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private isStopped = false;

  constructor(options: MarkerPrunerOptions) {
    this.options = { stepSize: PRUNE_STEP_SIZE, ...options };
  }

  /** Runs a pass every `intervalMs` in the background. The timer is unref'd. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runInBackground(), intervalMs).unref();
  }

  /**
   * Runs one pass now, or joins the pass already running.
   *
   * @returns how many markers the pass deleted
   * @throws TpsError `ERR_TPS_STORAGE` when the database fails; the pass stops there
   */
  prune(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));

    return this.running;
  }

  /** Stops the background passes; a pass running ends after its current step. */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async runInBackground(): Promise<void> {
    try {
      await this.prune();
    } catch (error) {
      this.options.logger.error({ err: error }, 'pruning applied markers failed; retried later');
    }
  }

  private async pass(): Promise<number> {
    const startedMs = performance.now();
    const cutoffMs = this.options.now() - this.options.windowMs;
    let start: ScanStart | undefined = { gte: appliedRange().gte };
    let deleted = 0;
    while (start !== undefined && !this.isStopped) {
      const step = await this.step(start, cutoffMs);
      deleted += step.deleted;
      start = step.next;
      // Between steps, batches being ingested reach the database; a pass never holds them.
      await nextTurn();
    }

    const passMs = Math.round(performance.now() - startedMs);
    const level = deleted > 0 ? 'info' : 'debug';
    this.options.logger[level]({ deleted, cutoffMs, passMs }, 'applied markers pruned');

    return deleted;
  }

  private async step(start: ScanStart, cutoffMs: number): Promise<StepResult> {
    const { store, stepSize } = this.options;
    const range = { ...start, lt: appliedRange().lt, limit: stepSize };
    const expired: string[] = [];
    let examined = 0;
    let next: ScanStart | undefined;
    let isSkipping = false;
    for await (const [key, value] of store.entries(range)) {
      examined += 1;
      const appliedAt = appliedAtOf(value);
      if (appliedAt !== undefined && appliedAt >= cutoffMs) {
        // An agent's records are applied in about seq order, so its later markers are as
        // fresh, or expire soon after this one: skip to the next agent, and catch them on a
        // later pass. A marker is never deleted early, only sometimes a little late.
        next = { gte: afterAgentMarkers(parseAppliedKey(key).agentId) };
        isSkipping = true;
        break;
      }
      // An unreadable marker is kept: a pass deletes only what it knows to be expired.
      if (appliedAt !== undefined) expired.push(key);
      next = { gt: key };
    }

    await store.delete(expired);

    const isDone = !isSkipping && examined < stepSize;
    return { deleted: expired.length, next: isDone ? undefined : next };
  }
}
