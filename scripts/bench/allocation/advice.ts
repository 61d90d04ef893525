import { num } from '../format.js';
import type { Figure } from '../stats.js';

/** What the allocation figures of one case say, for the next step of a miss. */
export interface AllocationFacts {
  /** Bytes per call on series that hold their bucket. */
  total: Figure;
  /** Bytes per call beyond the clock-pair loop's. */
  own: Figure;
  /** Bytes per call in windows that begin with a drain. */
  afterDrain: Figure;
  /** Bytes of a series' first call after a drain: a new bucket and its sketch. */
  newBucket: Figure;
}

// Differences under a twentieth of a byte, negative ones included, are the noise of the method.
function drainExtra(afterDrain: Figure, total: Figure): string {
  const extra = afterDrain.median - total.median;

  return extra < 0.05 ? 'nothing measurable more' : `${num(extra)} B more`;
}

/** The next step of a missed allocation target. */
export function allocationAdvice(facts: AllocationFacts): string {
  const { total, own, afterDrain, newBucket } = facts;

  return (
    'Every call allocates the two results of `performance.now()`, 16 B each: on ' +
    'Node 20 every clock read allocates (table above), so no wrapper that times a ' +
    `call can allocate nothing. Beyond them our own code adds ${num(own.median)} B ` +
    `a call on series that hold their bucket, and ${drainExtra(afterDrain, total)} in ` +
    `windows that begin with a drain (${num(afterDrain.median)} B in all): ` +
    'buckets and their sketches are emptied and reused across drains, so a series’ ' +
    `first call after one allocates ${num(newBucket.median)} B, not a new bucket. What ` +
    'is left comes from a sketch growing its bins for a latency outside every bin it had. ' +
    'In the heap profile the boxes show under whichever function V8 inlined the clock ' +
    'read into (`measured`, `end`, or the harness loop), not under `now`. Next: the ' +
    'literal target needs a clock read that does not allocate: re-measure on Node 22, ' +
    'whose `performance.now()` may stay unboxed; on Node 20 “nothing beyond the clock’s ' +
    'two reads” is what the column “beyond the clock pair” shows.'
  );
}
