/**
 * The key layout of the write-ahead log. Every key is a UTF-8 string; meta entries, quarantined
 * records and pages of pending records share one LevelDB under distinct prefixes (`m!` < `q!` <
 * `r!`), so a range scan over one kind never sees the others. `docs/wal.md` lists every key.
 */

/**
 * Prefix of record keys: `r!` followed by a sequence number as 16 lowercase hex digits. Under it
 * is a page of records whose first has that seq (layout 4), or one record (layouts 1 to 3).
 */
const RECORD_PREFIX = 'r!';

/** Prefix of quarantine keys: `q!` followed by the record's seq, as in a record key. */
const QUARANTINE_PREFIX = 'q!';

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

/** Bounds of the quarantine key range, `[q!, q")`. */
export const QUARANTINE_RANGE = { gte: QUARANTINE_PREFIX, lt: 'q"' } as const;

/**
 * The meta keys. Their values are decimal strings, except `agentId` (a UUID and its checksum, see
 * `identity.ts`).
 */
export const META = {
  /** Version of this key and value layout, so that a future release can tell old data. */
  format: 'm!format',
  /** The agent's identity, made once when the data dir is new; also kept in a file beside it. */
  agentId: 'm!agent-id',
  /** The highest seq ever given; never lowered, so seqs are never reused. */
  lastSeq: 'm!last-seq',
  /** Records in the log now. */
  pending: 'm!pending',
  /** Bytes of the values under the record keys now: pages, and records of layouts 1 to 3. */
  pendingBytes: 'm!pending-bytes',
  /** Records ever appended. */
  stored: 'm!stored',
  /** Entries under the quarantine prefix now. */
  quarantined: 'm!quarantined',
} as const;

/** The layout version this code writes. */
export const FORMAT_VERSION = '5';

/**
 * Layout versions this code reads. Version 1 had no `m!pending-bytes`, `m!quarantined`, `q!`
 * entries or `stored_at` in record values; version 2 stored records as JSON objects with the
 * sketch in its wire form; version 3 as JSON arrays with the sketch's bins as text (`codec.ts`);
 * version 4 writes binary pages of many records under the key of the first (`page.ts`); version
 * 5 ends each page with a CRC-32 and keeps a sketch's bins in groups. Records of every version
 * are read as they are. Opening an older log marks it version 5 (after a recount, for versions 1
 * and 2, whose counters are incomplete), so that a release that cannot read its pages refuses
 * the directory instead of quarantining them.
 */
export const READABLE_FORMATS: readonly string[] = ['1', '2', '3', '4', FORMAT_VERSION];

/** Layout versions whose counters hold for the current one: opening them only marks the layout. */
export const COUNTED_FORMATS: readonly string[] = ['3', '4', FORMAT_VERSION];

/** The meta key counting records dropped for `reason`, e.g. `m!deleted!sent`. */
export function deletedKey(reason: string): string {
  return `m!deleted!${reason}`;
}

/**
 * The key of the page whose first record is `seq`. Fixed-width hex makes lexicographic key
 * order equal numeric seq order, which LevelDB iterators rely on to return records oldest first.
 *
 * @throws {RangeError} when `seq` is not a positive safe integer.
 */
export function recordKey(seq: number): string {
  return RECORD_PREFIX + seqDigits(seq);
}

/**
 * The key of the quarantine entry of record `seq`.
 *
 * @throws {RangeError} when `seq` is not a positive safe integer.
 */
export function quarantineKey(seq: number): string {
  return QUARANTINE_PREFIX + seqDigits(seq);
}

/** The seq of a record or quarantine key made by {@link recordKey} or {@link quarantineKey}. */
export function seqOfKey(key: string): number {
  // Both prefixes are two characters long.
  return Number.parseInt(key.slice(RECORD_PREFIX.length), 16);
}

/**
 * The highest key {@link recordKey} can make. Any key above it in the record range is not one the
 * log wrote, so a look for the last record starts here.
 */
export const HIGHEST_RECORD_KEY = RECORD_PREFIX + seqDigits(Number.MAX_SAFE_INTEGER);

const RECORD_KEY = /^r![0-9a-f]{16}$/;

/**
 * The seq of a key in the record range, or undefined when {@link recordKey} cannot have made it:
 * not 16 lowercase hex digits, or not a positive safe integer (0, or past 2^53). Such a key came
 * from damage or a foreign writer; its seq must never be trusted, or one key like `r!zz` would
 * make the next seq NaN and fail every append.
 */
export function recordSeqOf(key: string): number | undefined {
  if (!RECORD_KEY.test(key)) return undefined;

  const seq = Number.parseInt(key.slice(RECORD_PREFIX.length), 16);

  return isSeq(seq) ? seq : undefined;
}

/** Tells whether a value can be a sequence number: a positive safe integer. */
export function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function seqDigits(seq: number): string {
  if (!isSeq(seq)) {
    throw new RangeError(`seq must be a positive safe integer, received ${String(seq)}`);
  }

  return seq.toString(16).padStart(SEQ_DIGITS, '0');
}
