import type { Clock } from '../../../src/clock.js';
import { Meter } from '../../../src/meter/index.js';
import { SKETCH_BINS, type SketchBinsCarrier } from '../../../src/protocol/sketch.js';
import type { RecordDraft } from '../../../src/protocol/types.js';
import { latencySampler, seededRandom } from '../random.js';

/** The wall clock of the first recorded second: the start of a second, in the past. */
const WALL_START_MS = 1_700_000_000_000;

/** A clock that reads whatever was last set; wall time is the monotonic reading plus a base. */
class SetClock implements Clock {
  nowMs = 0;
  monotonicMs(): number {
    return this.nowMs;
  }
  wallMsAt(monotonicMs: number): number {
    return WALL_START_MS + monotonicMs;
  }
  wallMs(): number {
    return WALL_START_MS + this.nowMs;
  }
  calibrate(): void {}
}

/** What the drafts hold. */
export interface DraftShape {
  /** Series, one draft per series and second. @default 20 */
  series?: number;
  /** Calls in each draft: 10,000 calls a second over 20 series is 500. @default 500 */
  callsPerDraft?: number;
}

/**
 * Drafts as a real meter hands them over: `count` records of 20 series, 500 calls each with
 * service-like latencies and 1 % failures of two kinds, so sketches and sizes are real.
 */
export function realisticDrafts(count: number, shape: DraftShape = {}): RecordDraft[] {
  const { series: seriesCount = 20, callsPerDraft = 500 } = shape;
  const clock = new SetClock();
  const meter = new Meter({ clock });
  const random = seededRandom(42);
  const latency = latencySampler(random, 12);
  const series = Array.from({ length: seriesCount }, (_, s) =>
    meter.series('bench', `endpoint-${s}`, { region: 'eu-west-1' }),
  );

  const drafts: RecordDraft[] = [];
  for (let second = 0; drafts.length < count; second++) {
    for (const one of series) {
      for (let call = 0; call < callsPerDraft; call++) {
        const endMs = second * 1000 + random() * 999;
        if (random() < 0.01) one.record(endMs - latency(), endMs, true, failureOf(random()));
        else one.record(endMs - latency(), endMs, false);
      }
    }
    drafts.push(...meter.drain());
  }

  return drafts.slice(0, count);
}

function failureOf(pick: number): Error {
  return pick < 0.5 ? new Error('upstream timeout') : new RangeError('amount out of range');
}

/**
 * Copies `drafts` moved `seconds` later, so that successive batches are distinct seconds. The
 * sketch's bins go along, as they come with a draft straight from the meter (a spread leaves
 * them out, since they are not enumerable).
 */
export function shifted(drafts: readonly RecordDraft[], seconds: number): RecordDraft[] {
  return drafts.map((draft) => {
    const copy = { ...draft, t: draft.t + seconds * 1000 };
    const bins = (draft as SketchBinsCarrier)[SKETCH_BINS];
    if (bins !== undefined) Object.defineProperty(copy, SKETCH_BINS, { value: bins });

    return copy;
  });
}
