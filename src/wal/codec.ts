import { attachedBinsOf, sketchWriter, type SketchBinsCarrier } from '../protocol/sketch.js';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { recordKey, seqOfKey } from './keys.js';
import { binsToText, canStoreBins, textToBins } from './sketch-text.js';

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

// Made once: Object.entries() per record was a twentieth of an append.
const FIELD_CHECKS = Object.entries(FIELD_KINDS);

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
  if (isRecordShaped(value)) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }

  for (const [field, kind] of FIELD_CHECKS) {
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
 * First element of a value in the array layout (version 3): `[3, stored_at, t, gateway,
 * endpoint, tags, count, errors, duration_sum_ms, duration_min_ms, duration_max_ms, sketch,
 * error_kinds]`. Values of versions 1 and 2 are JSON objects, and are still read.
 */
const ARRAY_LAYOUT = 3;
const ARRAY_LENGTH = 13;
// Starts a sketch kept as its bins (see sketch-text.ts). Base64 never holds it; a sketch text
// that is not base64 and starts with it anyway is stored with the mark doubled.
const BINS_MARK = '~';

/**
 * Gives `draft` the sequence number `seq` and encodes it for the batch. The seq is not stored in
 * the value because the key holds it; the log time is, and is handed back apart on decode.
 *
 * @param storedAtMs log time of the append, see `LogTime`.
 */
export function encodeEntry(seq: number, draft: RecordDraft, storedAtMs: number): EncodedRecord {
  // An array rather than an object: field names would be a fifth of a light record.
  const value = JSON.stringify([
    ARRAY_LAYOUT,
    storedAtMs,
    draft.t,
    draft.gateway,
    draft.endpoint,
    draft.tags,
    draft.count,
    draft.errors,
    draft.duration_sum_ms,
    draft.duration_min_ms,
    draft.duration_max_ms,
    storedSketch(draft),
    draft.error_kinds,
  ]);

  return {
    key: recordKey(seq),
    value,
    bytes: Buffer.byteLength(value),
    record: { ...draft, seq },
  };
}

/** The sketch as stored: its bins as text when it is in the canonical form, else as given. */
function storedSketch(draft: RecordDraft & SketchBinsCarrier): string {
  const { sketch } = draft;
  // The meter's drafts carry their bins; others are read out of the text, the slow way.
  const bins = attachedBinsOf(draft) ?? sketchWriter.canonicalBinsOf(sketch);
  if (bins !== undefined && canStoreBins(bins)) return BINS_MARK + binsToText(bins);

  return sketch.startsWith(BINS_MARK) ? BINS_MARK + sketch : sketch;
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

  const isArray = Array.isArray(parsed);
  const fields = isArray ? fromArray(parsed as unknown[]) : { stored: parsed };
  if ('problem' in fields) return { ok: false, problem: fields.problem };
  const { stored } = fields;
  const problem = recordProblem(stored);
  if (problem !== undefined) return { ok: false, problem };

  const { stored_at: storedAt, ...draft } = stored as StoredValue;
  // Versions 1 and 2 stored every sketch text as it came, `~` or not.
  const sketch = isArray ? wireSketch(draft.sketch) : draft.sketch;
  if (sketch === undefined) return { ok: false, problem: 'sketch is unreadable bins text' };
  // A version 1 value has no stored_at; its wall-clock second is the nearest stand-in.
  const storedAtMs = typeof storedAt === 'number' ? storedAt : draft.t;

  // Spread first so that the key's seq wins over any `seq` a caller left in the draft.
  return { ok: true, record: { ...draft, sketch, seq: seqOfKey(key) }, storedAtMs };
}

/** The fields of an array-layout value by name, or what is wrong with the array. */
function fromArray(value: unknown[]): { stored: StoredValue } | { problem: string } {
  if (value[0] !== ARRAY_LAYOUT) {
    return { problem: `an array starting ${describe(value[0])}, not a version 3 record` };
  }
  if (value.length !== ARRAY_LENGTH) {
    return { problem: `an array of ${value.length} items, not the ${ARRAY_LENGTH} of version 3` };
  }
  if (!isKind(value[1], 'number')) {
    return { problem: `stored_at is ${describe(value[1])}, not a finite number` };
  }

  const stored = {
    stored_at: value[1] as number,
    t: value[2],
    gateway: value[3],
    endpoint: value[4],
    tags: value[5],
    count: value[6],
    errors: value[7],
    duration_sum_ms: value[8],
    duration_min_ms: value[9],
    duration_max_ms: value[10],
    sketch: value[11],
    error_kinds: value[12],
  } as StoredValue;

  return { stored };
}

/** The wire form of a stored sketch; undefined when its bins text is unreadable. */
function wireSketch(stored: string): string | undefined {
  if (!stored.startsWith(BINS_MARK)) return stored;
  const text = stored.slice(BINS_MARK.length);
  if (text.startsWith(BINS_MARK)) return text;

  const bins = textToBins(text);
  return bins === undefined ? undefined : sketchWriter.encode(bins.positive, bins.zeroCount);
}

/**
 * The check of {@link recordProblem} for a value that passes it, field by field: a loop over
 * {@link FIELD_CHECKS} was a fifth of appending a light record. Must agree with {@link isKind}.
 */
function isRecordShaped(value: unknown): boolean {
  if (!isObject(value)) return false;

  const record = value as Record<keyof RecordDraft, unknown>;
  return (
    isFiniteNumber(record.t) &&
    typeof record.gateway === 'string' &&
    typeof record.endpoint === 'string' &&
    isObject(record.tags) &&
    isFiniteNumber(record.count) &&
    isFiniteNumber(record.errors) &&
    isFiniteNumber(record.duration_sum_ms) &&
    isFiniteNumber(record.duration_min_ms) &&
    isFiniteNumber(record.duration_max_ms) &&
    typeof record.sketch === 'string' &&
    isObject(record.error_kinds)
  );
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKind(value: unknown, kind: 'number' | 'string' | 'object'): boolean {
  switch (kind) {
    case 'number':
      return isFiniteNumber(value);
    case 'object':
      return isObject(value);
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
