import { MAX_SKETCH_BIN_SPAN } from '../protocol/sketch.js';
import type { CanonicalBins } from '../protocol/sketch-wire.js';
import { unzigzag, zigzag } from './bytes.js';

// Why this exists: on the wire a sketch's bins are 8-byte doubles in base64, 2.6 kB for a busy
// second, most of a record; stored that way the log wrote 3 kB per record. Counts are whole
// numbers, mostly small, with runs of empty bins between them, so here each number is a few
// characters of a base64-like alphabet: a busy second's sketch takes about 300.
//
// The text is a list of numbers: the first bin's key (zigzagged), the zero count, then the bins
// from the first on, each non-empty bin as its count and each run of empty bins as 0 and the
// run's length less one. A number is written 5 bits a character, lowest first; a character
// from the upper half of the alphabet says another follows.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// Digit of each character code below 128; -1 for characters outside the alphabet.
const DIGIT_OF = new Int8Array(128).fill(-1);
for (let digit = 0; digit < ALPHABET.length; digit++) DIGIT_OF[ALPHABET.charCodeAt(digit)] = digit;
const MORE = 32;

/**
 * Whether the log's compact forms of bins (this text, and the binary pages of `page-record.ts`)
 * hold `bins` exactly: at most `MAX_SKETCH_BIN_SPAN` bins (the collector takes no more), and
 * numbers that are safe integers.
 */
export function canStoreBins({ positive, zeroCount }: CanonicalBins): boolean {
  const length = (positive.to ?? positive.counts.length) - (positive.from ?? 0);

  return (
    length <= MAX_SKETCH_BIN_SPAN &&
    Number.isSafeInteger(zigzag(positive.firstKey)) &&
    Number.isSafeInteger(zeroCount)
  );
}

/** Writes a sketch's bins as text; see the notes at the top of this file. */
export function binsToText({ positive, zeroCount }: CanonicalBins): string {
  const { counts, firstKey } = positive;
  const from = positive.from ?? 0;
  const to = positive.to ?? counts.length;
  // Character codes go to a buffer, decoded once: concatenating strings a digit at a time cost
  // ten times as much. Each number takes at most 11 characters, each bin at most one number.
  const out = charBuffer(11 * (to - from + 2));
  let at = writeNumber(out, 0, zigzag(firstKey));
  at = writeNumber(out, at, zeroCount);
  for (let i = from; i < to;) {
    const count = counts[i] as number;
    if (count !== 0) {
      at = writeNumber(out, at, count);
      i++;
      continue;
    }

    let end = i + 1;
    while (end < to && counts[end] === 0) end++;
    at = writeNumber(out, writeNumber(out, at, 0), end - i - 1);
    i = end;
  }

  return out.toString('latin1', 0, at);
}

let chars = Buffer.alloc(4096);

function charBuffer(size: number): Buffer {
  if (chars.length < size) chars = Buffer.alloc(size);
  return chars;
}

const CODES = Buffer.from(ALPHABET, 'latin1');

function writeNumber(out: Buffer, start: number, n: number): number {
  let at = start;
  let rest = n;
  while (rest >= MORE) {
    out[at++] = CODES[MORE + (rest % MORE)] as number;
    rest = Math.floor(rest / MORE);
  }
  out[at++] = CODES[rest] as number;

  return at;
}

/**
 * Reads bins written by {@link binsToText}; undefined when `text` is not such text, or holds
 * more than `MAX_SKETCH_BIN_SPAN` bins: a damaged run length must not make millions.
 */
export function textToBins(text: string): CanonicalBins | undefined {
  const numbers = numbersOf(text);
  if (numbers === undefined || numbers.length < 2) return undefined;

  const [zigzagged, zeroCount] = numbers as [number, number];
  const counts: number[] = [];
  for (let i = 2; i < numbers.length; i++) {
    const count = numbers[i] as number;
    if (count !== 0) {
      counts.push(count);
      continue;
    }

    const run = numbers[++i];
    if (run === undefined || counts.length + run >= MAX_SKETCH_BIN_SPAN) return undefined;
    for (let n = 0; n <= run; n++) counts.push(0);
  }
  if (counts.length > MAX_SKETCH_BIN_SPAN) return undefined;
  const firstKey = unzigzag(zigzagged);

  return { positive: { firstKey, counts }, zeroCount };
}

function numbersOf(text: string): number[] | undefined {
  const numbers: number[] = [];
  let value = 0;
  let scale = 1;
  for (let i = 0; i < text.length; i++) {
    const digit = DIGIT_OF[text.charCodeAt(i)] ?? -1;
    // Eleven characters hold 55 bits, past any safe integer.
    if (digit < 0 || scale > MORE ** 10) return undefined;
    value += (digit % MORE) * scale;
    if (digit >= MORE) {
      scale *= MORE;
      continue;
    }

    // Past 2^53 the sum above is no longer exact.
    if (!Number.isSafeInteger(value)) return undefined;
    numbers.push(value);
    value = 0;
    scale = 1;
  }

  return scale === 1 ? numbers : undefined;
}
