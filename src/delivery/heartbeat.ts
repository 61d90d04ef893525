import { hostname } from 'node:os';
import type { AgentHeartbeat, DroppedCounts } from '../protocol/types.js';

/** What an agent reports of itself in a heartbeat. */
export interface HeartbeatFacts {
  agentId: string;
  serverId: string;
  version: string;
  heartbeatIntervalSeconds: number;
  pending: number;
  oldestPendingWallMs: number | undefined;
  totalStored: number;
  totalSent: number;
  duplicatesAcknowledged: number;
  dropped: DroppedCounts;
  lastTransmission: string | null;
  senderState: string;
}

/** Builds the heartbeat body from the agent's facts at wall time `nowMs`. */
export function buildHeartbeat(facts: HeartbeatFacts, nowMs: number): AgentHeartbeat {
  const oldest = facts.oldestPendingWallMs;

  return {
    agent_id: facts.agentId,
    server_id: facts.serverId,
    version: facts.version,
    pid: process.pid,
    hostname: hostname(),
    uptime_seconds: Math.round(process.uptime()),
    timestamp: new Date(nowMs).toISOString(),
    heartbeat_interval_seconds: facts.heartbeatIntervalSeconds,
    pending: facts.pending,
    oldest_pending_age_seconds:
      oldest === undefined ? null : Math.max(0, Math.round((nowMs - oldest) / 1000)),
    total_stored: facts.totalStored,
    total_sent: facts.totalSent,
    duplicates_acknowledged: facts.duplicatesAcknowledged,
    dropped: facts.dropped,
    last_transmission: facts.lastTransmission,
    sender_state: facts.senderState,
  };
}
