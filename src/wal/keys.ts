/**
 * The key layout of the write-ahead log. Every key is a UTF-8 string; records and meta entries
 * share one LevelDB but live under distinct prefixes, so a range scan over records never sees
 * meta entries and the other way round.
 */

/** Prefix of record keys: `r!` followed by the sequence number as 16 lowercase hex digits. */
const RECORD_PREFIX = 'r!';

/**
 * Hex digits in a record key. Sixteen digits hold any 64-bit value, well past
 * `Number.MAX_SAFE_INTEGER` (14 digits), so the width never has to change.
 */
const SEQ_DIGITS = 16;

/**
 * Bounds of the record key range for iterators. `"` (0x22) sorts right after `!` (0x21), so
 * `[r!, r")` holds every record key and nothing else.
 */
export const RECORD_RANGE = { gte: RECORD_PREFIX, lt: 'r"' } as const;

/** The meta keys. Their values are decimal strings, except `agentId` (a UUID). */
export const META = {
  /** Version of this key and value layout, so that a future release can tell old data. */
  format: 'm!format',
  /** The agent's identity, made once when the data dir is new. */
  agentId: 'm!agent-id',
  /** The highest seq ever given; never lowered, so seqs are never reused. */
  lastSeq: 'm!last-seq',
  /** Records in the log now. */
  pending: 'm!pending',
  /** Records ever appended. */
  stored: 'm!stored',
} as const;

/** The layout version this code writes and reads. */
export const FORMAT_VERSION = '1';

/** The meta key counting records deleted for `reason`, e.g. `m!deleted!sent`. */
export function deletedKey(reason: string): string {
  return `m!deleted!${reason}`;
}

/**
 * The key of record `seq`. Fixed-width hex makes lexicographic key order equal numeric seq
 * order, which LevelDB iterators rely on to return records oldest first.
 *
 * @throws {RangeError} when `seq` is not a positive safe integer.
 */
export function recordKey(seq: number): string {
  if (!isSeq(seq)) {
    throw new RangeError(`seq must be a positive safe integer, received ${String(seq)}`);
  }

  return RECORD_PREFIX + seq.toString(16).padStart(SEQ_DIGITS, '0');
}

/** The seq of a record key made by {@link recordKey}. */
export function seqOfKey(key: string): number {
  return Number.parseInt(key.slice(RECORD_PREFIX.length), 16);
}

/** Tells whether a value can be a sequence number: a positive safe integer. */
export function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}
