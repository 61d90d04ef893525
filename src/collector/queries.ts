import type { TpsAnswer, TpsPoint } from '../protocol/types.js';
import { MAX_EPOCH_MS } from '../protocol/schemas.js';
import { decodeSketch, newSketch, type DDSketch } from '../protocol/sketch.js';
import type { StoredBucket } from './bucket.js';
import { parseSeriesKey, seriesRange } from './keys.js';
import { BadRequestError } from './request-error.js';
import type { Store } from './store.js';

/** The range `GET /api/v1/tps` covers when the query gives no bound: the last hour. */
export const DEFAULT_RANGE_MS = 3_600_000;

/** The query string of `GET /api/v1/tps`, as the schema lets it through. */
export interface TpsQueryString {
  gateway: string;
  endpoint?: string;
  server_id?: string;
  /** Epoch milliseconds as decimal digits. */
  from?: string;
  to?: string;
}

/** A resolved `GET /api/v1/tps` query; both bounds are inclusive. */
export interface TpsQuery {
  gateway: string;
  endpoint?: string;
  serverId?: string;
  fromMs: number;
  toMs: number;
}

/**
 * Fills in the default range: `to` defaults to now, `from` to one hour before `to`.
 *
 * @throws BadRequestError when `from` is after `to`
 */
export function resolveTpsQuery(query: TpsQueryString, nowMs: number): TpsQuery {
  const toMs = Math.min(query.to === undefined ? nowMs : Number(query.to), MAX_EPOCH_MS);
  const fromMs =
    query.from === undefined ? Math.max(0, toMs - DEFAULT_RANGE_MS) : Number(query.from);
  if (fromMs > toMs) {
    throw new BadRequestError('from', `from (${fromMs}) must be <= to (${toMs})`);
  }

  return {
    gateway: query.gateway,
    endpoint: query.endpoint,
    serverId: query.server_id,
    fromMs,
    toMs,
  };
}

interface PointSum {
  t: number;
  count: number;
  errors: number;
  sketch: DDSketch;
}

function quantile(sketch: DDSketch, q: number): number | null {
  if (sketch.count <= 0) {
    return null;
  }

  // Microsecond precision is well within the sketch's 1% accuracy.
  return Math.round(sketch.getValueAtQuantile(q) * 1000) / 1000;
}

function toPoint(sum: PointSum): TpsPoint {
  return {
    t: sum.t,
    count: sum.count,
    errors: sum.errors,
    p50_ms: quantile(sum.sketch, 0.5),
    p95_ms: quantile(sum.sketch, 0.95),
    p99_ms: quantile(sum.sketch, 0.99),
  };
}

/**
 * Per-second figures of one gateway: one range scan over the gateway's keys in time order,
 * merging the buckets of every endpoint, server and tag set that match the query.
 */
export async function queryTps(store: Store, query: TpsQuery): Promise<TpsAnswer> {
  const sums: PointSum[] = [];
  const range = seriesRange(query.gateway, query.fromMs, query.toMs);
  for await (const [key, value] of store.entries(range)) {
    const parts = parseSeriesKey(key);
    if (query.endpoint !== undefined && parts.endpoint !== query.endpoint) continue;
    if (query.serverId !== undefined && parts.serverId !== query.serverId) continue;

    const bucket = value as StoredBucket;
    let sum = sums.at(-1);
    // Keys come in time order, so a new second always starts a new point.
    if (sum === undefined || sum.t !== parts.t) {
      sum = { t: parts.t, count: 0, errors: 0, sketch: newSketch() };
      sums.push(sum);
    }
    sum.count += bucket.count;
    sum.errors += bucket.errors;
    sum.sketch.merge(decodeSketch(bucket.sketch));
  }

  const points = sums.map(toPoint);
  const total = { count: 0, errors: 0 };
  for (const point of points) {
    total.count += point.count;
    total.errors += point.errors;
  }

  return { points, total };
}
