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

/** The next step of a missed allocation target. */
export function allocationAdvice(facts: AllocationFacts): string {
  const { total, own, afterDrain, newBucket } = facts;

  return (
    'Every call allocates the two results of `performance.now()`, 16 B each: on ' +
    'Node 20 every clock read allocates (table above), so no wrapper that times a ' +
    `call can allocate nothing. Beyond them our own code adds ${num(own.median)} B ` +
    `a call on series that hold their bucket. A drain makes it ${num(afterDrain.median)} ` +
    `B a call instead of ${num(total.median)}: each series then starts a new bucket ` +
    `(${num(newBucket.median / 1024)} KiB at its first call) whose sketch grows as ` +
    'latencies spread, once per series and second, so the fewer calls a series has ' +
    'a second, the more that is per call. In the heap profile the boxes show under ' +
    'whichever function V8 inlined the clock read into (`measured`, `end`, or the ' +
    'harness loop), not under `now`. Next: decide whether the target means “nothing ' +
    'beyond the clock’s two reads”; if so, it holds when the column “beyond the clock ' +
    'pair” is under a byte. Then keep buckets (and their sketches) across drains, ' +
    'cleared instead of made anew, and re-measure on Node 22, whose ' +
    '`performance.now()` may stay unboxed.'
  );
}
