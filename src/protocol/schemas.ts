/**
 * JSON schemas of the collector's request bodies and query strings, checked by the HTTP
 * server's built-in validator (Ajv, JSON Schema draft-07). `docs/protocol.md` describes every
 * field; the types in `./types.ts` are the same shapes for TypeScript.
 *
 * Unknown fields are allowed everywhere, so that a newer agent may send fields an older
 * collector does not know yet.
 */

/**
 * Pattern of every name that becomes part of a storage key (gateway, endpoint, server and
 * agent ids, tag keys and values): any characters except the C0 controls and DEL. The
 * collector separates key parts with `\u0000`, so a name must never contain it.
 */
export const NAME_PATTERN = '^[^\\u0000-\\u001F\\u007F]*$';

/** Pattern of a base64 string, as the `sketch` field carries it. */
export const BASE64_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';

/** Pattern of an epoch-milliseconds query parameter: 1 to 16 decimal digits. */
export const EPOCH_MS_PATTERN = '^[0-9]{1,16}$';

/** Longest name (gateway, endpoint, id, tag key or value) in characters. */
export const MAX_NAME_LENGTH = 1024;

/** Most tags on one series. */
export const MAX_TAGS = 64;

/**
 * Most records (or per-call metrics) in one batch. The agent's `batchSize` option has the
 * same upper bound, so a batch the agent builds is never too long.
 */
export const MAX_BATCH_ITEMS = 10_000;

/** The latest epoch milliseconds a `Date` can hold, the upper bound of every time field. */
export const MAX_EPOCH_MS = 8.64e15;

const name = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: NAME_PATTERN,
} as const;

const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const millis = { type: 'number', minimum: 0 } as const;
const epochMs = { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS } as const;
const isoTime = { type: 'string', minLength: 1, maxLength: 64 } as const;
const nullableIsoTime = { anyOf: [isoTime, { type: 'null' }] } as const;

function tagMap(valueSchema: object): object {
  return {
    type: 'object',
    maxProperties: MAX_TAGS,
    propertyNames: { minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: NAME_PATTERN },
    additionalProperties: valueSchema,
  };
}

const tagValue = { type: 'string', maxLength: MAX_NAME_LENGTH, pattern: NAME_PATTERN } as const;

/** One record of this agent's batch: see `MetricRecord`. */
export const metricRecordSchema = {
  type: 'object',
  required: [
    'seq',
    't',
    'gateway',
    'endpoint',
    'tags',
    'count',
    'errors',
    'duration_sum_ms',
    'duration_min_ms',
    'duration_max_ms',
    'sketch',
    'error_kinds',
  ],
  properties: {
    seq: count,
    t: epochMs,
    gateway: name,
    endpoint: name,
    tags: tagMap(tagValue),
    count,
    errors: count,
    duration_sum_ms: millis,
    duration_min_ms: millis,
    duration_max_ms: millis,
    sketch: { type: 'string', minLength: 1, pattern: BASE64_PATTERN },
    error_kinds: { type: 'object', additionalProperties: count },
  },
} as const;

/** This agent's batch: see `MetricBatch`. */
export const metricBatchSchema = {
  type: 'object',
  required: ['agent_id', 'server_id', 'records'],
  properties: {
    agent_id: name,
    server_id: name,
    records: { type: 'array', maxItems: MAX_BATCH_ITEMS, items: metricRecordSchema },
  },
} as const;

/**
 * One call from the existing per-call agents: see `LegacyCallMetric`. `server_id` may be left
 * out (the batch's is used); tag values may also be numbers or booleans, kept as text.
 */
export const legacyCallMetricSchema = {
  type: 'object',
  required: ['gateway', 'endpoint', 'timestamp', 'duration_ms', 'success'],
  properties: {
    gateway: name,
    endpoint: name,
    server_id: name,
    timestamp: isoTime,
    duration_ms: millis,
    success: { type: 'boolean' },
    error: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    tags: {
      anyOf: [
        tagMap({ anyOf: [tagValue, { type: 'number' }, { type: 'boolean' }] }),
        { type: 'null' },
      ],
    },
  },
} as const;

/** The batch of the existing per-call agents: see `LegacyMetricBatch`. */
export const legacyMetricBatchSchema = {
  type: 'object',
  required: ['server_id', 'metrics'],
  properties: {
    server_id: name,
    batch_timestamp: isoTime,
    metrics: { type: 'array', maxItems: MAX_BATCH_ITEMS, items: legacyCallMetricSchema },
  },
} as const;

/**
 * Body of `POST /api/v1/metrics/batch`: a body with a `metrics` field is the per-call format,
 * any other body this agent's format.
 */
export const batchBodySchema = {
  type: 'object',
  if: { required: ['metrics'] },
  then: legacyMetricBatchSchema,
  else: metricBatchSchema,
} as const;

/** This agent's heartbeat: see `AgentHeartbeat`. Fields the collector does not use are optional. */
export const agentHeartbeatSchema = {
  type: 'object',
  required: ['agent_id', 'server_id', 'timestamp', 'heartbeat_interval_seconds', 'pending'],
  properties: {
    agent_id: name,
    server_id: name,
    version: { type: 'string' },
    pid: count,
    hostname: { type: 'string' },
    uptime_seconds: { type: 'number', minimum: 0 },
    timestamp: isoTime,
    heartbeat_interval_seconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
    pending: count,
    oldest_pending_age_seconds: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] },
    total_stored: count,
    total_sent: count,
    dropped: { type: 'object', additionalProperties: count },
    last_transmission: nullableIsoTime,
    sender_state: { type: 'string' },
  },
} as const;

/** The heartbeat of the existing per-call agents: see `LegacyHeartbeat`. */
export const legacyHeartbeatSchema = {
  type: 'object',
  required: ['server_id', 'timestamp', 'status'],
  properties: {
    server_id: name,
    timestamp: isoTime,
    status: { type: 'string' },
    metrics_count: count,
    local_queue_size: count,
    last_transmission: nullableIsoTime,
  },
} as const;

/**
 * Body of `POST /api/v1/agent/heartbeat`: a body with an `agent_id` field is this agent's
 * heartbeat, any other body the per-call agents' one.
 */
export const heartbeatBodySchema = {
  type: 'object',
  if: { required: ['agent_id'] },
  then: agentHeartbeatSchema,
  else: legacyHeartbeatSchema,
} as const;

const epochMsParam = { type: 'string', pattern: EPOCH_MS_PATTERN } as const;

/** Query string of `GET /api/v1/tps`. `from` and `to` are epoch milliseconds, as digits. */
export const tpsQuerySchema = {
  type: 'object',
  required: ['gateway'],
  properties: {
    gateway: name,
    endpoint: name,
    server_id: name,
    from: epochMsParam,
    to: epochMsParam,
  },
} as const;
