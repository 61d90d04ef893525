/**
 * The wire format between agents and the collector. Field names are snake_case on the wire,
 * as the existing agents in other languages send them. `docs/protocol.md` describes each one.
 */

/** The path an agent posts record batches to. */
export const BATCH_PATH = '/api/v1/metrics/batch';
/** The path an agent posts heartbeats to. */
export const HEARTBEAT_PATH = '/api/v1/agent/heartbeat';
/** The collector's liveness path. */
export const HEALTH_PATH = '/api/v1/health';
/** The path of per-second figures. */
export const TPS_PATH = '/api/v1/tps';
/** The path of the agents the collector has heard from. */
export const AGENTS_PATH = '/api/v1/agents';

/**
 * One series' figures for one second. Records are additive: two records of the same second
 * and series sum, so an agent may send a second in several parts.
 */
export interface MetricRecord {
  /** The agent's sequence number of this record: unique per agent, it only grows. */
  seq: number;
  /** Epoch milliseconds of the start of the second. */
  t: number;
  gateway: string;
  endpoint: string;
  /** Tags of the series; `{}` when there are none. */
  tags: Record<string, string>;
  /** Calls completed in the second, failed ones included. */
  count: number;
  /** Calls that threw or rejected. */
  errors: number;
  duration_sum_ms: number;
  duration_min_ms: number;
  duration_max_ms: number;
  /** Latency DDSketch (relative accuracy 1%) as base64 of its protobuf encoding. */
  sketch: string;
  /** Failures by `"<name>: <message>"`, bounded per record; the rest under `"other"`. */
  error_kinds: Record<string, number>;
}

/** A record as the meter hands it to the log, before the log gives it a sequence number. */
export type RecordDraft = Omit<MetricRecord, 'seq'>;

/** The body of `POST /api/v1/metrics/batch` from this agent. */
export interface MetricBatch {
  agent_id: string;
  server_id: string;
  records: MetricRecord[];
}

/** One call as the existing per-call agents in other languages send it. */
export interface LegacyCallMetric {
  gateway: string;
  endpoint: string;
  server_id: string;
  /** ISO-8601; without an offset it means UTC. */
  timestamp: string;
  duration_ms: number;
  success: boolean;
  error: string | null;
  tags: Record<string, string> | null;
}

/** The body of `POST /api/v1/metrics/batch` from the existing per-call agents. */
export interface LegacyMetricBatch {
  server_id: string;
  batch_timestamp: string;
  metrics: LegacyCallMetric[];
}

/** The collector's answer to a batch, sent only once the batch is stored durably. */
export interface BatchAck {
  status: 'success';
  /** Records (or calls) in the batch. */
  received_count: number;
  /** Records applied now. */
  applied_count: number;
  /** Records already applied by an earlier delivery and not applied again. */
  duplicate_count: number;
  /** Sequence numbers of our records applied now; absent for per-call batches. */
  applied_seqs?: number[];
  /** Sequence numbers of our records applied before; absent for per-call batches. */
  duplicate_seqs?: number[];
}

/** Records dropped by the agent, by reason. */
export type DroppedCounts = Record<string, number>;

/** The body of `POST /api/v1/agent/heartbeat` from this agent. */
export interface AgentHeartbeat {
  agent_id: string;
  server_id: string;
  version: string;
  pid: number;
  hostname: string;
  uptime_seconds: number;
  /** ISO-8601 time the heartbeat was made. */
  timestamp: string;
  /** Seconds until the next heartbeat, so the collector can tell a stale agent. */
  heartbeat_interval_seconds: number;
  pending: number;
  /** Age of the oldest pending record in seconds; null when nothing is pending. */
  oldest_pending_age_seconds: number | null;
  total_stored: number;
  total_sent: number;
  /** Records the collector acknowledged as applied before (resends), since the agent started. */
  duplicates_acknowledged?: number;
  dropped: DroppedCounts;
  /** ISO-8601 time of the last acknowledged batch; null before the first. */
  last_transmission: string | null;
  /** The sender's state, see `SenderState`. */
  sender_state: string;
}

/** The heartbeat of the existing per-call agents in other languages. */
export interface LegacyHeartbeat {
  server_id: string;
  timestamp: string;
  status: string;
  metrics_count: number;
  local_queue_size: number;
  last_transmission: string | null;
}

/** An error answer from the collector. */
export interface ErrorAnswer {
  status: 'error';
  /** What is wrong, naming the field. */
  error: string;
}

/** One second in the answer of `GET /api/v1/tps`. */
export interface TpsPoint {
  t: number;
  count: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** The answer of `GET /api/v1/tps`. */
export interface TpsAnswer {
  points: TpsPoint[];
  total: { count: number; errors: number };
}

/** One agent in the answer of `GET /api/v1/agents`. */
export interface AgentSummary {
  agent_id: string;
  server_id: string;
  status: 'healthy' | 'stale';
  last_heartbeat: string;
  pending: number;
}

/** The answer of `GET /api/v1/agents`. */
export interface AgentsAnswer {
  agents: AgentSummary[];
}
