import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { recordKey, seqOfKey } from './keys.js';

/**
 * The value of a record entry: the draft as JSON. The seq is not stored in the value because
 * the key already holds it; {@link decodeRecord} takes it from there.
 */
export function encodeRecord(draft: RecordDraft): string {
  return JSON.stringify(draft);
}

/**
 * Rebuilds a record from its entry.
 *
 * @throws {SyntaxError} when the value is not JSON; the caller wraps it as a storage error.
 */
export function decodeRecord(key: string, value: string): MetricRecord {
  const draft = JSON.parse(value) as RecordDraft;

  // Spread first so that the key's seq wins over any `seq` a caller left in the draft.
  return { ...draft, seq: seqOfKey(key) };
}

/** A record ready to be put: its key, its encoded value, and the record handed back. */
export interface EncodedRecord {
  key: string;
  value: string;
  record: MetricRecord;
}

/** Gives `draft` the sequence number `seq` and encodes it for the batch. */
export function encodeEntry(seq: number, draft: RecordDraft): EncodedRecord {
  return { key: recordKey(seq), value: encodeRecord(draft), record: { ...draft, seq } };
}
