import type { MetricRecord } from '../protocol/types.js';
import { decodeEntry } from './codec.js';
import type { CounterChange, QuarantineReason } from './counters.js';
import { QUARANTINE_RANGE, quarantineKey, recordKey, seqOfKey } from './keys.js';
import type { LogBatch, LogDatabase } from './storage.js';

/** Quarantine entries kept at most unless `maxQuarantined` says otherwise. */
export const DEFAULT_MAX_QUARANTINED = 10_000;

/** Characters of `detail` kept per entry; longer text is cut. */
export const MAX_DETAIL_CHARS = 1024;

/**
 * Characters of the stored value kept per entry. A record is about half a kilobyte; the cap
 * bounds what a garbage value can cost, so the whole quarantine stays under about 80 MiB.
 */
export const MAX_KEPT_VALUE_CHARS = 8192;

/** One record in the quarantine, as {@link WriteAheadLog.readQuarantine} lists it. */
export interface QuarantinedRecord {
  /** The seq the record had in the log. */
  seq: number;
  /** Why it was quarantined. */
  reason: QuarantineReason;
  /** What was wrong: the collector's answer, or what made the value unreadable. */
  detail: string;
  /** Log time (epoch milliseconds) of the move to the quarantine. */
  quarantinedAtMs: number;
  /** The record, when its stored value still decodes; undefined for an unreadable value. */
  record: MetricRecord | undefined;
  /** The stored value as found, cut to {@link MAX_KEPT_VALUE_CHARS} characters. */
  value: string;
}

/** The JSON value of a quarantine entry. */
interface QuarantineValue {
  reason: QuarantineReason;
  detail: string;
  quarantined_at: number;
  value: string;
}

/** Encodes the quarantine entry of a record whose stored value is `value`. */
export function encodeQuarantine(
  value: string,
  reason: QuarantineReason,
  detail: string,
  atMs: number,
): string {
  const entry: QuarantineValue = {
    reason,
    detail: detail.slice(0, MAX_DETAIL_CHARS),
    quarantined_at: atMs,
    value: value.slice(0, MAX_KEPT_VALUE_CHARS),
  };

  return JSON.stringify(entry);
}

/**
 * Decodes a quarantine entry without throwing: an entry that is itself unreadable comes back
 * as `corrupt` with its raw text, so that listing the quarantine never fails on one entry.
 */
export function decodeQuarantine(key: string, text: string): QuarantinedRecord {
  const seq = seqOfKey(key);
  let entry: Partial<QuarantineValue>;
  try {
    entry = JSON.parse(text) as Partial<QuarantineValue>;
  } catch {
    entry = {};
  }
  if (typeof entry.value !== 'string' || typeof entry.quarantined_at !== 'number') {
    const value = text.slice(0, MAX_KEPT_VALUE_CHARS);
    return {
      seq,
      reason: 'corrupt',
      detail: 'unreadable quarantine entry',
      quarantinedAtMs: 0,
      value,
      record: undefined,
    };
  }

  const decoded = decodeEntry(recordKey(seq), entry.value);

  return {
    seq,
    reason: entry.reason === 'rejected' ? 'rejected' : 'corrupt',
    detail: String(entry.detail ?? ''),
    quarantinedAtMs: entry.quarantined_at,
    record: decoded.ok ? decoded.record : undefined,
    value: entry.value,
  };
}

/** Which entries make room for new ones. */
export interface Eviction {
  /** Keys of existing entries to delete in the batch. */
  existing: string[];
  /** Keys of the new entries not to put: they are older than every entry kept. */
  skipped: Set<string>;
}

/**
 * Plans room for `newKeys` in a quarantine holding `count` entries and capped at `max`: the
 * entries of the lowest seqs (the oldest records) go first, new or existing alike. Run inside
 * the write chain, so the entries it reads are still there when the batch is written.
 */
export async function planEviction(
  db: LogDatabase,
  newKeys: readonly string[],
  count: number,
  max: number,
): Promise<Eviction> {
  const excess = count + newKeys.length - max;
  if (excess <= 0) return { existing: [], skipped: new Set() };

  const oldest = await db.keys({ ...QUARANTINE_RANGE, limit: excess }).all();
  const fresh = new Set(newKeys);
  const evicted = [...new Set([...oldest, ...newKeys])].sort().slice(0, excess);

  return {
    existing: evicted.filter((key) => !fresh.has(key)),
    skipped: new Set(evicted.filter((key) => fresh.has(key))),
  };
}

/** What the quarantine keeps of one record, or of a page that cannot be read at all. */
export interface QuarantineMove {
  /** The record's seq; for a page that cannot be read, the seq of its key. */
  seq: number;
  /** The stored value as found: the record's JSON, or the bytes of what does not decode. */
  text: string;
  /** What was wrong. */
  detail: string;
}

/**
 * Stages adding quarantine entries for `moves` into `batch`, deleting the oldest entries when
 * the quarantine would pass `max`. Taking the records out of their pages is the caller's part.
 *
 * @param atMs log time of the move.
 * @returns the change to the quarantine counter, for the same batch.
 */
export async function stageMoves(
  db: LogDatabase,
  batch: LogBatch,
  moves: readonly QuarantineMove[],
  reason: QuarantineReason,
  limits: { count: number; max: number; atMs: number },
): Promise<CounterChange> {
  if (moves.length === 0) return {};

  const targets = moves.map(({ seq }) => quarantineKey(seq));
  // A page that cannot be read goes under its key's seq, which may already hold the entry of the
  // page's first record, quarantined before the damage: that entry is replaced, not one more.
  const found = await db.getMany(targets);
  const added = targets.filter((_, i) => found[i] === undefined);
  const eviction = await planEviction(db, added, limits.count, limits.max);
  moves.forEach(({ text, detail }, i) => {
    const target = targets[i] as string;
    if (!eviction.skipped.has(target)) {
      batch.put(target, encodeQuarantine(text, reason, detail, limits.atMs));
    }
  });
  // After the puts: a replaced entry that is also among the oldest goes, and counts as evicted.
  for (const key of eviction.existing) batch.del(key);

  return { quarantined: added.length - eviction.skipped.size - eviction.existing.length };
}
