import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { recordKey, seqOfKey } from './keys.js';

/** The fields every record value must hold, by the JSON type they must have. */
const FIELD_KINDS = {
  t: 'number',
  gateway: 'string',
  endpoint: 'string',
  tags: 'object',
  count: 'number',
  errors: 'number',
  duration_sum_ms: 'number',
  duration_min_ms: 'number',
  duration_max_ms: 'number',
  sketch: 'string',
  error_kinds: 'object',
} as const satisfies Record<keyof RecordDraft, 'number' | 'string' | 'object'>;

/** A record value as stored: the draft plus the log time it was stored at. */
interface StoredValue extends RecordDraft {
  /** Log time (epoch milliseconds) of the append; absent in layout version 1. */
  stored_at?: number;
}

/**
 * Tells what makes `value` unfit to be a record: the first field missing or of the wrong type.
 * Only the shape is checked; whether the contents are acceptable is the collector's call.
 *
 * @returns a description naming the field, or undefined when the shape is right.
 */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }

  for (const [field, kind] of Object.entries(FIELD_KINDS)) {
    const found = (value as Record<string, unknown>)[field];
    if (!isKind(found, kind)) return `${field} is ${describe(found)}, not ${article(kind)}`;
  }

  return undefined;
}

/** A record ready to be put: its key, its encoded value and size, and the record handed back. */
export interface EncodedRecord {
  key: string;
  value: string;
  /** UTF-8 bytes of `value`, as counted in `pendingBytes`. */
  bytes: number;
  record: MetricRecord;
}

/**
 * Gives `draft` the sequence number `seq` and encodes it for the batch. The seq is not stored in
 * the value because the key holds it; `stored_at` is, and is stripped again on decode.
 *
 * @param storedAtMs log time of the append, see `LogTime`.
 */
export function encodeEntry(seq: number, draft: RecordDraft, storedAtMs: number): EncodedRecord {
  const value = JSON.stringify({ ...draft, stored_at: storedAtMs });

  return {
    key: recordKey(seq),
    value,
    bytes: Buffer.byteLength(value),
    record: { ...draft, seq },
  };
}

/** A stored value read back: either a record with its storage time, or what is wrong with it. */
export type DecodedEntry =
  { ok: true; record: MetricRecord; storedAtMs: number } | { ok: false; problem: string };

/**
 * Rebuilds a record from its entry, without throwing: a value that is not JSON, or not shaped
 * like a record, comes back as a problem for the caller to quarantine.
 */
export function decodeEntry(key: string, value: string): DecodedEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message})` };
  }

  const problem = recordProblem(parsed);
  if (problem !== undefined) return { ok: false, problem };

  const { stored_at: storedAt, ...draft } = parsed as StoredValue;
  // A version 1 value has no stored_at; its wall-clock second is the nearest stand-in.
  const storedAtMs = typeof storedAt === 'number' ? storedAt : draft.t;

  // Spread first so that the key's seq wins over any `seq` a caller left in the draft.
  return { ok: true, record: { ...draft, seq: seqOfKey(key) }, storedAtMs };
}

function isKind(value: unknown, kind: 'number' | 'string' | 'object'): boolean {
  switch (kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === kind;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);

  return `a ${typeof value}`;
}

function article(kind: string): string {
  return kind === 'object' ? 'an object' : kind === 'number' ? 'a finite number' : `a ${kind}`;
}
