import type { TpsAnswer } from '../../src/protocol/types.js';
import { burstSize, endpointOf, gatewayOf } from '../fixtures/crash-plan.js';
import type { BurstReport } from './agent-process.js';

/** What became of one run's bursts at the collector. */
export interface RunOutcome {
  run: number;
  flushedBursts: number;
  flushedCalls: number;
  /** The burst whose flush had not returned when the child died, and what the collector has. */
  open: { burst: number; size: number; counted: number } | undefined;
  /** Every way the run broke the rules; empty when it kept them. */
  failures: string[];
}

/** Epoch milliseconds bounds of a query, both inclusive. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/**
 * Calls the collector counted for a gateway (and endpoint), over `range` or else all time. A
 * range keeps the collector's scan short where one gateway holds many bursts.
 */
export async function countCalls(
  collectorUrl: string,
  gateway: string,
  endpoint?: string,
  range: TimeRange = { fromMs: 0, toMs: Date.now() + 3_600_000 },
): Promise<number> {
  const from = String(range.fromMs);
  const query = new URLSearchParams({ gateway, from, to: String(range.toMs) });
  if (endpoint !== undefined) query.set('endpoint', endpoint);
  const response = await fetch(`${collectorUrl}/api/v1/tps?${query}`);
  if (!response.ok) throw new Error(`query ${query} answered ${response.status}`);

  return ((await response.json()) as TpsAnswer).total.count;
}

/**
 * Checks one finished run against the collector: a flushed burst counts exactly its size; the
 * one burst of the open flush window counts 0 or its size; no other burst is open; and the
 * run's gateway holds nothing but its bursts. Call it only once the run's data dir has been
 * drained by a later run, so that everything flushed had its chance to arrive.
 */
export async function verifyRun(
  collectorUrl: string,
  seed: number,
  run: number,
  bursts: ReadonlyMap<number, BurstReport>,
): Promise<RunOutcome> {
  const outcome: RunOutcome = {
    run,
    flushedBursts: 0,
    flushedCalls: 0,
    open: undefined,
    failures: [],
  };
  const fail = (text: string): number => outcome.failures.push(`run ${run}: ${text}`);
  let sum = 0;
  for (const [k, burst] of bursts) {
    const counted = await countCalls(collectorUrl, gatewayOf(run), endpointOf(run, k));
    sum += counted;
    if (burst.size !== burstSize(seed, run, k)) fail(`burst ${k} reported size ${burst.size}`);
    if (burst.isFlushed) {
      outcome.flushedBursts += 1;
      outcome.flushedCalls += burst.size;
      if (counted !== burst.size)
        fail(`flushed burst ${k} of ${burst.size} calls counted ${counted}`);
    } else {
      if (outcome.open !== undefined) fail(`bursts ${outcome.open.burst} and ${k} both unflushed`);
      outcome.open = { burst: k, size: burst.size, counted };
      if (counted !== 0 && counted !== burst.size) {
        fail(`unflushed burst ${k} of ${burst.size} calls counted ${counted}, not 0 or all`);
      }
    }
  }

  const last = Math.max(-1, ...bursts.keys());
  if (outcome.open !== undefined && outcome.open.burst !== last) {
    fail(`burst ${outcome.open.burst} is unflushed but burst ${last} started after it`);
  }
  const total = await countCalls(collectorUrl, gatewayOf(run));
  if (total !== sum) fail(`the gateway counts ${total} calls, its bursts ${sum}`);

  return outcome;
}
