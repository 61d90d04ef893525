import type { RecordDraft } from '../protocol/types.js';
import { recordProblem } from './codec.js';
import { isSeq } from './keys.js';

/**
 * Argument checks of the log's methods. Each returns the error to reject with, or undefined;
 * the methods reject rather than throw, so that a caller's `.catch` sees every failure.
 */

/** A `limit` or `afterSeq` must be a non-negative safe integer. */
export function countError(name: string, value: unknown): RangeError | undefined {
  if (Number.isSafeInteger(value) && (value as number) >= 0) return undefined;

  return new RangeError(`${name} must be a non-negative integer, received ${String(value)}`);
}

/** Every seq must be a positive safe integer. */
export function seqsError(seqs: readonly number[]): RangeError | undefined {
  const bad = seqs.find((seq) => !isSeq(seq));
  if (bad === undefined) return undefined;

  return new RangeError(`seqs must be positive integers, received ${bad}`);
}

/** A reason must be one of `known`. */
export function reasonError(reason: string, known: readonly string[]): RangeError | undefined {
  if (known.includes(reason)) return undefined;

  return new RangeError(`reason must be one of ${known.join(', ')}, received ${reason}`);
}

/**
 * Every draft must be shaped like a record, by the same rule reads apply: whatever `append`
 * accepts, `readOldest` reads back rather than quarantining it as corrupt.
 */
export function draftsError(drafts: readonly RecordDraft[]): TypeError | undefined {
  for (const [i, draft] of drafts.entries()) {
    const problem = recordProblem(draft);
    if (problem !== undefined) return new TypeError(`drafts[${i}] is not a record: ${problem}`);
  }

  return undefined;
}
