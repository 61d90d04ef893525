import type { SenderStats } from './delivery/index.js';
import type { DroppedCounts } from './protocol/types.js';
import type { WriteAheadLog } from './wal/index.js';

/**
 * A snapshot of an agent's counters, from `Agent.getStats()`. `docs/guarantees.md` explains each.
 */
export interface AgentStats {
  /** The agent's id, kept in its data dir; null until the log is open. */
  agentId: string | null;
  serverId: string;
  /** Records waiting in the log for the collector's acknowledgement. */
  localMetricsCount: number;
  /** Bytes of those records. */
  localBytes: number;
  /** Records the log refused for now, waiting in memory for the next flush. */
  unwrittenCount: number;
  /** Records ever appended to this data dir. */
  totalMetricsStored: number;
  /** Records ever acknowledged by the collector and deleted. */
  totalMetricsSent: number;
  /** Records the collector acknowledged as applied before (a resend), since start. */
  duplicatesAcknowledged: number;
  /**
   * What was lost, by reason: `retention`, `size`, `rejected`, `corrupt` and `storage` count
   * records; `overflow` counts calls folded into the overflow series (counted there, but under
   * the wrong name).
   */
  droppedMetrics: DroppedCounts;
  /** ISO-8601 time of the last acknowledged batch; null before the first. */
  lastTransmission: string | null;
  /** The sender's state and counters. */
  sender: SenderStats;
  /** Distinct (gateway, endpoint, tags) series measured, up to `maxSeries`. */
  seriesCount: number;
  isClosed: boolean;
  /** How the log was recovered at open, when it had to be; null otherwise. */
  recovery: WriteAheadLog['recovery'] | null;
}

/** What {@link buildStats} reads. */
export interface StatsSources {
  serverId: string;
  log: WriteAheadLog | undefined;
  sender: SenderStats;
  storageDropped: number;
  unwritten: number;
  overflowedCalls: number;
  seriesCount: number;
  isClosed: boolean;
}

/** Assembles an agent's stats from its parts. */
export function buildStats(sources: StatsSources): AgentStats {
  const { log, sender } = sources;
  const counts = log?.counts();

  return {
    agentId: log?.agentId ?? null,
    serverId: sources.serverId,
    localMetricsCount: log?.pendingCount ?? 0,
    localBytes: log?.pendingBytes ?? 0,
    unwrittenCount: sources.unwritten,
    totalMetricsStored: log?.totalStored ?? 0,
    totalMetricsSent: counts?.sent ?? 0,
    duplicatesAcknowledged: sender.duplicatesAcknowledged,
    droppedMetrics: {
      retention: counts?.retention ?? 0,
      size: counts?.size ?? 0,
      rejected: counts?.rejected ?? 0,
      corrupt: counts?.corrupt ?? 0,
      storage: sources.storageDropped,
      overflow: sources.overflowedCalls,
    },
    lastTransmission: sender.lastTransmission,
    sender,
    seriesCount: sources.seriesCount,
    isClosed: sources.isClosed,
    recovery: log?.recovery ?? null,
  };
}
