import { crc32 } from 'node:zlib';
import type { MetricRecord, RecordDraft } from '../protocol/types.js';
import { ByteReader, ByteWriter, MalformedBytesError } from './bytes.js';
import { decodeEntry, encodeEntry, recordProblem, type DecodedEntry } from './codec.js';
import { recordKey, recordSeqOf, seqOfKey } from './keys.js';
import { KNOWN_FLAGS, StringTable, readRecord, writeRecord } from './page-record.js';

// Why pages: LevelDB costs about a microsecond per entry whatever its size, which capped a log
// with one entry per record near 400,000 records a second on these machines before a single
// byte of the record was written. A page holds up to MAX_PAGE_RECORDS records of one append under
// the key of its first seq, so an append of a thousand records is eight entries.
//
// A page value (layout version 5):
//
//   u8 5 · u32 record count · f64 stored_at · u32 offset of the string table
//   · frames: per record, varint seq − previous seq (the first: − the key's seq), u32 body
//     length, body (`page-record.ts`)
//   · string table: varint count, then each string as a text (`ByteWriter.text`)
//   · u32 CRC-32 of the page's key (its UTF-8) and then of every byte before it
//
// Layout 4 is the same without the CRC-32; its pages still read, unchecked, and a page of it
// rewritten without some records is written in layout 5. Values of layout versions 1 to 3 are
// one record each, as JSON, so they start with `[` or `{`; they are read as pages of one. A
// page's key never changes: deleting some of its records rewrites its value without them, and
// deleting the last one deletes the key.
//
// Why the CRC-32: classic-level never asks LevelDB to verify a block's checksum when it reads,
// and the pages' own structure catches only some damage: a byte changed in a count, a duration
// or a seq step mostly reads back as another valid record, wrong and unseen. A page whose CRC
// does not match is unreadable as a whole: its records go to the quarantine, counted. The key
// is in it because the seqs are: a sound value under another key would read as other seqs.
// zlib's CRC-32 takes about 4 µs for a page of 128 busy records.

/** First byte of a page value, which is also the layout version that wrote it. */
export const PAGE_LAYOUT = 5;

/** The layout of binary pages without a CRC-32, written before it. */
const UNCHECKED_LAYOUT = 4;

/**
 * Records a page holds at most. It bounds what one page costs to rewrite when part of it is
 * acknowledged, and how far past its key a page's seqs reach: a page never holds a seq at or
 * above its key's seq plus this.
 */
export const MAX_PAGE_RECORDS = 128;

const HEADER_BYTES = 17;
const COUNT_AT = 1;
const TABLE_OFFSET_AT = 13;
const CRC_BYTES = 4;
// Marks the quarantine text of a record that does not decode: its bytes, as found.
const RAW_MARK = 'base64:';
// The problem of an entry under a key that recordKey cannot have made.
const FOREIGN_KEY = 'a key that is not a record key';

/** A page ready to be put. */
export interface EncodedPage {
  key: string;
  value: Buffer;
  /** Records in it. */
  count: number;
}

// One writer for every page: encoding is synchronous, and each page leaves it with a copy.
const writer = new ByteWriter();

/**
 * Encodes `drafts`, which take the seqs from `firstSeq` on in order, as pages of up to
 * {@link MAX_PAGE_RECORDS} records stored at `storedAtMs` (log time).
 *
 * @throws {TypeError} when a field cannot be encoded (a JSON fallback that JSON cannot hold).
 */
export function encodePages(
  firstSeq: number,
  drafts: readonly RecordDraft[],
  storedAtMs: number,
): EncodedPage[] {
  const pages: EncodedPage[] = [];
  for (let from = 0; from < drafts.length; from += MAX_PAGE_RECORDS) {
    const to = Math.min(drafts.length, from + MAX_PAGE_RECORDS);
    pages.push(encodePage(firstSeq + from, drafts, from, to, storedAtMs));
  }

  return pages;
}

function encodePage(
  keySeq: number,
  drafts: readonly RecordDraft[],
  from: number,
  to: number,
  storedAtMs: number,
): EncodedPage {
  const strings = new StringTable();
  writer.reset();
  writeHeader(writer, to - from, storedAtMs);
  for (let i = from; i < to; i++) {
    // Consecutive seqs: the first frame is at its key, each later one a step after the last.
    writer.varint(i === from ? 0 : 1);
    const lengthAt = writer.at;
    writer.u32(0);
    writeRecord(writer, drafts[i] as RecordDraft, strings);
    writer.u32At(lengthAt, writer.at - lengthAt - 4);
  }
  writer.u32At(TABLE_OFFSET_AT, writer.at);
  writer.varint(strings.list.length);
  for (const value of strings.list) writer.text(value);
  const key = recordKey(keySeq);
  appendCrc(writer, key);

  return { key, value: writer.take(), count: to - from };
}

/** Ends what `out` holds, the value of the page at `key`, with its CRC-32. */
function appendCrc(out: ByteWriter, key: string): void {
  out.u32(crcOf(key, out.bytes.subarray(0, out.at)));
}

function crcOf(key: string, body: Uint8Array): number {
  return crc32(body, crc32(key));
}

function writeHeader(out: ByteWriter, count: number, storedAtMs: number): void {
  out.byte(PAGE_LAYOUT);
  out.u32(count);
  out.double(storedAtMs);
  // The string table's offset, written once the frames are.
  out.u32(0);
}

/** A page of the record range that can be read: its records may still fail one by one. */
export interface StoredPage {
  readonly isReadable: true;
  readonly key: string;
  /** Bytes of the value, as counted in `pendingBytes`. */
  readonly bytes: number;
  /** The seqs of its records, lowest first. */
  readonly seqs: readonly number[];
  /** Log time (epoch milliseconds) of the append that stored it. */
  readonly storedAtMs: number;
  /** Record `index` (of {@link seqs}), or what keeps it from being read. */
  record(index: number): DecodedEntry;
  /** What the quarantine keeps of record `index`: its JSON, or its bytes as found. */
  quarantineText(index: number): string;
  /** The value holding every record but those at `dropped`; undefined when none is left. */
  without(dropped: ReadonlySet<number>): Buffer | undefined;
}

/** An entry of the record range whose value cannot be read as a page at all. */
export interface UnreadablePage {
  readonly isReadable: false;
  readonly key: string;
  readonly bytes: number;
  /** Records it held, as far as can be told: its frames, else its header's count, else 1. */
  readonly count: number;
  /** What is wrong, for the quarantine's detail. */
  readonly problem: string;
  /** What the quarantine keeps: the value's bytes, as found. */
  readonly text: string;
}

/**
 * The highest seq an entry of the record range holds. For a page that cannot be read it is the
 * highest its key allows, so that a seq it may hold is never given again; for a key that is not
 * a record key it is 0, since such a key says nothing about the seqs given.
 */
export function highestSeqOf(entry: StoredPage | UnreadablePage): number {
  const keySeq = recordSeqOf(entry.key);
  if (keySeq === undefined) return 0;

  return entry.isReadable ? (entry.seqs.at(-1) ?? keySeq) : keySeq + MAX_PAGE_RECORDS - 1;
}

/**
 * Reads an entry of the record range: a binary page, or a record of layout 1 to 3. An entry
 * under a key that is not a record key (see `recordSeqOf`) cannot be read, whatever its value.
 */
export function readPage(key: string, value: Buffer): StoredPage | UnreadablePage {
  const keySeq = recordSeqOf(key);
  if (keySeq === undefined) return unreadable(key, value, FOREIGN_KEY, foreignCount(value));
  if (value[0] !== PAGE_LAYOUT && value[0] !== UNCHECKED_LAYOUT) {
    // Frames that walk exactly to a string table, in a value that is not JSON, make a page whose
    // version byte was damaged: counted as its frames, where a record of layouts 1 to 3 is one.
    const framed = isJsonStart(value) ? undefined : framesBeforeTable(value);
    if (framed === undefined) return readOldRecord(key, value);

    return unreadable(key, value, `a damaged page: layout byte ${value[0]}`, framed);
  }

  try {
    return BinaryPage.parse(key, keySeq, value);
  } catch (error) {
    if (!(error instanceof MalformedBytesError)) throw error;
    return unreadable(key, value, `a damaged page: ${error.message}`, damagedCount(value));
  }
}

/** Whether `value` starts as a record of layouts 1 to 3 does: a JSON object or array. */
function isJsonStart(value: Buffer): boolean {
  return value[0] === 0x7b || value[0] === 0x5b;
}

/**
 * Records an entry under a key that is not a record key held, as far as can be told: a value
 * shaped like a page may be a real page whose key was damaged, and the pending counter counted
 * its records; anything else counts as 1, like any unreadable value.
 */
function foreignCount(value: Buffer): number {
  return value[0] === PAGE_LAYOUT || value[0] === UNCHECKED_LAYOUT ? damagedCount(value) : 1;
}

function readOldRecord(key: string, value: Buffer): StoredPage | UnreadablePage {
  const decoded = decodeEntry(key, value.toString('utf8'));
  if (!decoded.ok) return unreadable(key, value, decoded.problem, 1);

  return new OldRecord(key, value, decoded);
}

function unreadable(key: string, value: Buffer, problem: string, count: number): UnreadablePage {
  const text = RAW_MARK + value.toString('base64');

  return { isReadable: false, key, bytes: value.length, count, problem, text };
}

/**
 * Records a damaged page held, as far as can be told: its frames when they still end exactly at
 * the string table (the damage hit the header's count, or something after the frames), else its
 * header's count when that is in range, else 1. The pending counter counted what it held, and is
 * lowered by this much when the page goes: the closer, the less the counter drifts.
 */
function damagedCount(value: Buffer): number {
  const framed = framesBeforeTable(value);
  if (framed !== undefined) return framed;

  const count = value.length >= HEADER_BYTES ? value.readUInt32LE(COUNT_AT) : 0;

  return count >= 1 && count <= MAX_PAGE_RECORDS ? count : 1;
}

function framesBeforeTable(value: Buffer): number | undefined {
  if (value.length < HEADER_BYTES) return undefined;
  const tableAt = value.readUInt32LE(TABLE_OFFSET_AT);
  if (tableAt <= HEADER_BYTES || tableAt > value.length) return undefined;

  const reader = new ByteReader(value, HEADER_BYTES, tableAt);
  let frames = 0;
  try {
    for (; !reader.isDone && frames < MAX_PAGE_RECORDS; frames++) {
      reader.varint();
      reader.skip(reader.u32());
    }
  } catch (error) {
    if (error instanceof MalformedBytesError) return undefined;
    throw error;
  }

  return reader.isDone ? frames : undefined;
}

/** A record of layout 1 to 3: one JSON value, one record, already decoded. */
class OldRecord implements StoredPage {
  readonly isReadable = true;
  readonly bytes: number;
  readonly seqs: readonly number[];
  readonly storedAtMs: number;

  constructor(
    readonly key: string,
    private readonly value: Buffer,
    private readonly decoded: DecodedEntry & { ok: true },
  ) {
    this.bytes = value.length;
    this.seqs = [decoded.record.seq];
    this.storedAtMs = decoded.storedAtMs;
  }

  record(): DecodedEntry {
    return this.decoded;
  }

  quarantineText(): string {
    return this.value.toString('utf8');
  }

  without(): undefined {
    return undefined;
  }
}

/** Where one record's body lies in a page value. */
interface Frame {
  seq: number;
  start: number;
  end: number;
}

/**
 * A page of layout 5 or 4. Its frames are read at once; its records and strings when asked for.
 * `value` is what the layout describes before the CRC-32, if it has one.
 */
class BinaryPage implements StoredPage {
  readonly isReadable = true;
  readonly seqs: number[];
  private strings: string[] | undefined;

  private constructor(
    readonly key: string,
    readonly bytes: number,
    private readonly value: Buffer,
    readonly storedAtMs: number,
    private readonly frames: Frame[],
    private readonly tableAt: number,
    private readonly knownFlags: number,
  ) {
    this.seqs = frames.map((frame) => frame.seq);
  }

  /**
   * @throws {MalformedBytesError} when the CRC-32 does not match, or the header or a frame does
   * not hold together.
   */
  static parse(key: string, keySeq: number, stored: Buffer): BinaryPage {
    const value = stored[0] === PAGE_LAYOUT ? checkedBody(key, stored) : stored;
    const header = new ByteReader(value, 0, value.length);
    header.skip(1);
    const count = header.u32();
    const storedAtMs = header.double();
    const tableAt = header.u32();
    if (tableAt < HEADER_BYTES || tableAt > value.length) {
      throw new MalformedBytesError(`a string table at ${tableAt} of ${value.length} bytes`);
    }
    if (count < 1 || count > MAX_PAGE_RECORDS) {
      throw new MalformedBytesError(`${count} records, not 1 to ${MAX_PAGE_RECORDS}`);
    }

    const frames = readFrames(new ByteReader(value, HEADER_BYTES, tableAt), keySeq, count);

    const knownFlags = stored[0] === PAGE_LAYOUT ? KNOWN_FLAGS[5] : KNOWN_FLAGS[4];

    return new BinaryPage(key, stored.length, value, storedAtMs, frames, tableAt, knownFlags);
  }

  record(index: number): DecodedEntry {
    const frame = this.frames[index];
    if (frame === undefined) return { ok: false, problem: `no record ${index} in the page` };

    try {
      const reader = new ByteReader(this.value, frame.start, frame.end);
      const draft = readRecord(reader, this.stringTable(), this.knownFlags);
      if (!reader.isDone) return { ok: false, problem: 'a record with bytes left after it' };
      // The bytes fix every field's type, but a damaged double can still read as NaN or
      // Infinity, which append never stores: the same rule as for a JSON value keeps it out.
      const problem = recordProblem(draft);
      if (problem !== undefined) return { ok: false, problem };
      const record: MetricRecord = { ...draft, seq: frame.seq };

      return { ok: true, record, storedAtMs: this.storedAtMs };
    } catch (error) {
      if (error instanceof MalformedBytesError || error instanceof SyntaxError) {
        return { ok: false, problem: `an unreadable record: ${error.message}` };
      }
      throw error;
    }
  }

  quarantineText(index: number): string {
    const decoded = this.record(index);
    if (decoded.ok) return encodeEntry(decoded.record.seq, decoded.record, this.storedAtMs).value;

    const frame = this.frames[index];
    const bytes =
      frame === undefined ? Buffer.alloc(0) : this.value.subarray(frame.start, frame.end);

    return RAW_MARK + bytes.toString('base64');
  }

  without(dropped: ReadonlySet<number>): Buffer | undefined {
    const kept = this.frames.filter((_, index) => !dropped.has(index));
    if (kept.length === 0) return undefined;

    writer.reset();
    writeHeader(writer, kept.length, this.storedAtMs);
    let previous = seqOfKey(this.key);
    for (const frame of kept) {
      writer.varint(frame.seq - previous);
      writer.u32(frame.end - frame.start);
      writer.copy(this.value, frame.start, frame.end);
      previous = frame.seq;
    }
    writer.u32At(TABLE_OFFSET_AT, writer.at);
    writer.copy(this.value, this.tableAt, this.value.length);
    appendCrc(writer, this.key);

    return writer.take();
  }

  private stringTable(): string[] {
    if (this.strings !== undefined) return this.strings;

    const reader = new ByteReader(this.value, this.tableAt, this.value.length);
    const count = reader.varint();
    // Each string takes a byte at least: a damaged count must not make millions.
    if (count > this.value.length - this.tableAt) {
      throw new MalformedBytesError(`a table of ${count} strings in fewer bytes`);
    }
    const strings: string[] = [];
    for (let i = 0; i < count; i++) strings.push(reader.text());
    this.strings = strings;

    return strings;
  }
}

/** The bytes of a layout 5 value at `key` before its CRC-32, once the CRC-32 matches them. */
function checkedBody(key: string, stored: Buffer): Buffer {
  if (stored.length < HEADER_BYTES + CRC_BYTES) {
    throw new MalformedBytesError(`${stored.length} bytes, fewer than a page's header`);
  }
  const end = stored.length - CRC_BYTES;
  const body = stored.subarray(0, end);
  if (crcOf(key, body) !== stored.readUInt32LE(end)) {
    throw new MalformedBytesError('its CRC-32 does not match its bytes');
  }

  return body;
}

function readFrames(reader: ByteReader, keySeq: number, count: number): Frame[] {
  const frames: Frame[] = [];
  let seq = keySeq;
  for (let i = 0; i < count; i++) {
    const step = reader.varint();
    if (i > 0 && step === 0) throw new MalformedBytesError('two records with one seq');
    seq += step;
    if (seq - keySeq >= MAX_PAGE_RECORDS) {
      throw new MalformedBytesError(`seq ${seq} too far past the page's ${keySeq}`);
    }
    const length = reader.u32();
    const start = reader.at;
    reader.skip(length);
    frames.push({ seq, start, end: reader.at });
  }
  if (!reader.isDone) throw new MalformedBytesError('bytes between the records and the strings');

  return frames;
}
