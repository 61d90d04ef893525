import type { LegacyCallMetric, LegacyMetricBatch } from '../protocol/types.js';
import { bucketIn, type Bucket } from './bucket.js';
import { canonicalTags, seriesKey } from './keys.js';
import { startOfSecond } from './records.js';
import { BadRequestError } from './request-error.js';
import { parseIsoTime } from './timestamp.js';

/** Tags as the per-call agents send them: the schema also lets numbers and booleans through. */
type LegacyTags = Record<string, string | number | boolean> | null | undefined;

function tagsText(tags: LegacyTags): string {
  const entries = Object.entries(tags ?? {}).map(([key, value]) => [key, String(value)]);

  return canonicalTags(Object.fromEntries(entries));
}

function callTime(call: LegacyCallMetric, i: number): number {
  const field = `metrics[${i}].timestamp`;
  const ms = parseIsoTime(call.timestamp);
  if (ms === undefined) {
    const message = `${field} must be an ISO-8601 date-time, got ${JSON.stringify(call.timestamp)}`;
    throw new BadRequestError(field, message);
  }
  if (ms < 0) {
    throw new BadRequestError(field, `${field} must not be before 1970`);
  }

  return ms;
}

/**
 * Sums the calls of a per-call batch into one bucket per (gateway, second, endpoint, server,
 * tags). A call that failed (`success: false`) counts as an error, under its `error` text.
 *
 * @returns the buckets by key, ready to add to the stored ones
 * @throws BadRequestError naming the first call whose timestamp is unreadable
 */
export function prepareLegacyBatch(batch: LegacyMetricBatch): Map<string, Bucket> {
  const buckets = new Map<string, Bucket>();
  batch.metrics.forEach((call, i) => {
    const key = seriesKey({
      gateway: call.gateway,
      t: startOfSecond(callTime(call, i)),
      endpoint: call.endpoint,
      serverId: call.server_id ?? batch.server_id,
      tags: tagsText(call.tags as LegacyTags),
    });
    bucketIn(buckets, key).addCall(
      call.duration_ms,
      call.success ? undefined : (call.error ?? null),
    );
  });

  return buckets;
}
