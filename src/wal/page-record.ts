import { attachedBinsOf, sketchWriter, type SketchBinsCarrier } from '../protocol/sketch.js';
import { isWholeCount, type CanonicalBins } from '../protocol/sketch-wire.js';
import type { RecordDraft } from '../protocol/types.js';
import { ByteReader, ByteWriter, MalformedBytesError } from './bytes.js';
import { readBinRunsAsWire, readGroupedBinsAsWire, writeGroupedBins } from './page-bins.js';
import { canStoreBins } from './sketch-text.js';

// One record in a binary page (layout version 4), after a flags byte:
//
//   t f64 · gateway, endpoint: string index · tags · count, errors · sum, min, max f64 · sketch
//   · error kinds
//
// Names, tag keys and values, and error kinds are indexes into the page's string table, since a
// page holds the same few series second after second. Each field that usually has a compact form
// has a flag for the exact fallback a draft from outside the meter may need: tags or kinds as
// JSON when a value is not a string or a whole count, a count as a double when it is not a whole
// number, the sketch as its wire text when it is not in the canonical form (see
// `SketchWriter.canonicalBinsOf`). Bins are written in groups of eight (`page-bins.ts`).

const TAGS_AS_JSON = 1;
const KINDS_AS_JSON = 2;
const SKETCH_AS_TEXT = 4;
const COUNT_AS_DOUBLE = 8;
const ERRORS_AS_DOUBLE = 16;
// Set on every record written now; pages written before it hold their bins in runs.
const BINS_IN_GROUPS = 32;

/**
 * The flags a record of each page layout may have. Layout 4 had no groups: a record with flag
 * 32 in a layout 4 page is a layout 5 page whose version byte was damaged, and unchecked.
 */
export const KNOWN_FLAGS = { 4: 31, 5: 63 } as const;

/** The strings of one page, each stored once and referred to by its index. */
export class StringTable {
  /** The strings in index order. */
  readonly list: string[] = [];
  private readonly indexes = new Map<string, number>();

  /** The index of `value`, added at the end if it is new. */
  indexOf(value: string): number {
    let index = this.indexes.get(value);
    if (index === undefined) {
      index = this.list.length;
      this.list.push(value);
      this.indexes.set(value, index);
    }

    return index;
  }
}

/** Writes the fields of `draft` as one record of a page whose strings go to `strings`. */
export function writeRecord(out: ByteWriter, draft: RecordDraft, strings: StringTable): void {
  const bins = storableBins(draft);
  let flags =
    (bins === undefined ? SKETCH_AS_TEXT : 0) |
    (isWholeCount(draft.count) ? 0 : COUNT_AS_DOUBLE) |
    (isWholeCount(draft.errors) ? 0 : ERRORS_AS_DOUBLE) |
    BINS_IN_GROUPS;

  // The flags byte is set last: whether tags and kinds fit their compact form is found while
  // writing them, in one walk over each.
  const flagsAt = out.at;
  out.byte(0);
  out.double(draft.t);
  out.varint(strings.indexOf(draft.gateway));
  out.varint(strings.indexOf(draft.endpoint));
  if (!writePairs(out, draft.tags, strings, true)) {
    flags |= TAGS_AS_JSON;
    out.text(JSON.stringify(draft.tags));
  }
  writeCount(out, draft.count, flags & COUNT_AS_DOUBLE);
  writeCount(out, draft.errors, flags & ERRORS_AS_DOUBLE);
  out.double(draft.duration_sum_ms);
  out.double(draft.duration_min_ms);
  out.double(draft.duration_max_ms);
  if (bins === undefined) out.text(draft.sketch);
  else writeGroupedBins(out, bins);
  if (!writePairs(out, draft.error_kinds, strings, false)) {
    flags |= KINDS_AS_JSON;
    out.text(JSON.stringify(draft.error_kinds));
  }
  out.bytes[flagsAt] = flags;
}

/**
 * Reads one record written by {@link writeRecord}, whose page's strings are `strings`.
 *
 * @throws {MalformedBytesError} when the bytes are not such a record; the message says what.
 * @throws {SyntaxError} when a JSON field does not parse.
 */
export function readRecord(
  reader: ByteReader,
  strings: readonly string[],
  knownFlags: number,
): RecordDraft {
  const flags = reader.byte();
  if ((flags & ~knownFlags) !== 0) throw new MalformedBytesError(`unknown flags ${flags}`);

  const t = reader.double();
  const gateway = stringAt(strings, reader.varint());
  const endpoint = stringAt(strings, reader.varint());
  const tags = flags & TAGS_AS_JSON ? jsonObject(reader, 'tags') : readPairs(reader, strings, true);
  const count = flags & COUNT_AS_DOUBLE ? reader.double() : reader.varint();
  const errors = flags & ERRORS_AS_DOUBLE ? reader.double() : reader.varint();
  const sum = reader.double();
  const min = reader.double();
  const max = reader.double();
  const sketch = flags & SKETCH_AS_TEXT ? reader.text() : readBinsAsWire(reader, flags);
  const kinds =
    flags & KINDS_AS_JSON ? jsonObject(reader, 'error_kinds') : readPairs(reader, strings, false);

  return {
    t,
    gateway,
    endpoint,
    tags: tags as Record<string, string>,
    count,
    errors,
    duration_sum_ms: sum,
    duration_min_ms: min,
    duration_max_ms: max,
    sketch,
    error_kinds: kinds as Record<string, number>,
  };
}

/** The draft's bins when its sketch is canonical and the compact form holds them exactly. */
function storableBins(draft: RecordDraft & SketchBinsCarrier): CanonicalBins | undefined {
  // The meter's drafts carry their bins; others are read out of the text, the slow way.
  const bins = attachedBinsOf(draft) ?? sketchWriter.canonicalBinsOf(draft.sketch);

  return bins !== undefined && canStoreBins(bins) ? bins : undefined;
}

function writeCount(out: ByteWriter, value: number, asDouble: number): void {
  if (asDouble) out.double(value);
  else out.varint(value);
}

function readBinsAsWire(reader: ByteReader, flags: number): string {
  return flags & BINS_IN_GROUPS ? readGroupedBinsAsWire(reader) : readBinRunsAsWire(reader);
}

/**
 * Writes an object's own keys as string indexes, and its values as string indexes or counts.
 * Stops at the first value that is not a string (or not a whole count) and takes back what it
 * wrote: such an object goes as JSON. The strings it added stay in the table, unused.
 *
 * @returns whether the object was written.
 */
function writePairs(
  out: ByteWriter,
  object: Readonly<Record<string, unknown>>,
  strings: StringTable,
  valuesAreStrings: boolean,
): boolean {
  const startAt = out.at;
  const keys = Object.keys(object);
  out.varint(keys.length);
  for (const key of keys) {
    const value = object[key];
    if (valuesAreStrings ? typeof value !== 'string' : !isCount(value)) {
      out.at = startAt;
      return false;
    }
    out.varint(strings.indexOf(key));
    out.varint(valuesAreStrings ? strings.indexOf(value as string) : (value as number));
  }

  return true;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && isWholeCount(value);
}

function readPairs(
  reader: ByteReader,
  strings: readonly string[],
  valuesAreStrings: boolean,
): Record<string, string | number> {
  const pairs = reader.varint();
  const object: Record<string, string | number> = {};
  for (let i = 0; i < pairs; i++) {
    const key = stringAt(strings, reader.varint());
    const number = reader.varint();
    const value = valuesAreStrings ? stringAt(strings, number) : number;
    // Assigned, a key named __proto__ would set the prototype instead of holding the value.
    if (key === '__proto__') {
      Object.defineProperty(object, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      object[key] = value;
    }
  }

  return object;
}

function jsonObject(reader: ByteReader, field: string): unknown {
  const value: unknown = JSON.parse(reader.text());
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedBytesError(`${field} is not a JSON object`);
  }

  return value;
}

function stringAt(strings: readonly string[], index: number): string {
  const value = strings[index];
  if (value === undefined) throw new MalformedBytesError(`string ${index} is not in the page`);

  return value;
}
