import type { MetricBatch, MetricRecord } from '../protocol/types.js';
import {
  decodeSketch,
  newSketch,
  SKETCH_RELATIVE_ACCURACY,
  type DDSketch,
} from '../protocol/sketch.js';
import { canonicalTags, seriesKey } from './keys.js';
import { BadRequestError } from './request-error.js';

/** A record of this agent, checked and ready to apply. */
export interface PreparedRecord {
  seq: number;
  /** Key of the bucket the record adds to. */
  key: string;
  record: MetricRecord;
  sketch: DDSketch;
}

/** Start of the second `t` falls in: records may carry any millisecond of it. */
export function startOfSecond(epochMs: number): number {
  return Math.floor(epochMs / 1000) * 1000;
}

function readSketch(record: MetricRecord, field: string, reference: DDSketch): DDSketch {
  let sketch: DDSketch;
  try {
    sketch = decodeSketch(record.sketch);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BadRequestError(field, `${field} is not a DDSketch: ${detail}`);
  }
  if (!reference.mergeable(sketch)) {
    const message = `${field} must have relative accuracy ${SKETCH_RELATIVE_ACCURACY}`;
    throw new BadRequestError(field, message);
  }

  return sketch;
}

/**
 * Checks what the schema cannot (each sketch decodes and merges, errors do not exceed count)
 * and computes each record's bucket key. Runs before the batch is queued, so that a bad
 * record rejects the whole batch and nothing of it is applied.
 *
 * @throws BadRequestError naming the first field at fault, such as `records[3].sketch`
 */
export function prepareRecords(batch: MetricBatch): PreparedRecord[] {
  const reference = newSketch();

  return batch.records.map((record, i) => {
    if (record.errors > record.count) {
      const field = `records[${i}].errors`;
      throw new BadRequestError(field, `${field} must be <= records[${i}].count`);
    }
    const sketch = readSketch(record, `records[${i}].sketch`, reference);
    const key = seriesKey({
      gateway: record.gateway,
      t: startOfSecond(record.t),
      endpoint: record.endpoint,
      serverId: batch.server_id,
      tags: canonicalTags(record.tags),
    });

    return { seq: record.seq, key, record, sketch };
  });
}
