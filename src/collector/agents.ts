import type {
  AgentHeartbeat,
  AgentsAnswer,
  AgentSummary,
  LegacyHeartbeat,
} from '../protocol/types.js';
import { heartbeatKey, heartbeatRange } from './keys.js';
import type { Store } from './store.js';

/** Seconds between heartbeats assumed for the per-call agents, whose heartbeat does not say. */
export const LEGACY_HEARTBEAT_INTERVAL_SECONDS = 30;

/** An agent is stale after this many heartbeat intervals without one. */
export const STALE_AFTER_INTERVALS = 3;

/** The last heartbeat of one agent, as stored. */
export interface StoredHeartbeat {
  agentId: string;
  serverId: string;
  /** Epoch milliseconds at which the collector received it, by the collector's clock. */
  receivedAt: number;
  intervalSeconds: number;
  pending: number;
}

function fromHeartbeat(
  body: AgentHeartbeat | LegacyHeartbeat,
  receivedAt: number,
): StoredHeartbeat {
  if ('agent_id' in body) {
    return {
      agentId: body.agent_id,
      serverId: body.server_id,
      receivedAt,
      intervalSeconds: body.heartbeat_interval_seconds,
      pending: body.pending,
    };
  }

  // The per-call agents run one per server, so their server id names the agent.
  return {
    agentId: body.server_id,
    serverId: body.server_id,
    receivedAt,
    intervalSeconds: LEGACY_HEARTBEAT_INTERVAL_SECONDS,
    pending: body.local_queue_size ?? 0,
  };
}

/**
 * Keeps the last heartbeat of every agent in the store, so that the list of agents survives a
 * restart of the collector. Staleness is judged by the collector's clock alone, so a skewed
 * agent clock cannot make an agent look alive.
 */
export class AgentRegistry {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Stores a heartbeat in either format as the agent's last one. */
  async record(body: AgentHeartbeat | LegacyHeartbeat): Promise<void> {
    const heartbeat = fromHeartbeat(body, this.now());

    await this.store.write([{ key: heartbeatKey(heartbeat.agentId), value: heartbeat }]);
  }

  /** Every agent heard from, by agent id, each `stale` once three intervals pass in silence. */
  async list(): Promise<AgentsAnswer> {
    const nowMs = this.now();
    const agents: AgentSummary[] = [];
    for await (const [, value] of this.store.entries(heartbeatRange())) {
      agents.push(summarize(value as StoredHeartbeat, nowMs));
    }

    return { agents };
  }
}

function summarize(heartbeat: StoredHeartbeat, nowMs: number): AgentSummary {
  const staleAfterMs = heartbeat.intervalSeconds * 1000 * STALE_AFTER_INTERVALS;
  const isStale = nowMs - heartbeat.receivedAt > staleAfterMs;

  return {
    agent_id: heartbeat.agentId,
    server_id: heartbeat.serverId,
    status: isStale ? 'stale' : 'healthy',
    last_heartbeat: new Date(heartbeat.receivedAt).toISOString(),
    pending: heartbeat.pending,
  };
}
