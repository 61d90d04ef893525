import { Meter, measureTps } from '../../../src/meter/index.js';
import {
  durationSink,
  seriesLabels,
  work,
  workAsync,
  type AsyncCall,
  type SyncCall,
} from './work.js';

/**
 * What is timed: `bare` is the call alone, `clock` the floor (two `performance.now()` reads and
 * the duration kept), `ours` a `measureTps` wrapper, `prom` and `otel` the peers recording the
 * same call with the same two clock reads.
 */
export type CaseKind = 'bare' | 'clock' | 'ours' | 'prom' | 'otel';

/** Every kind, in the order they run within a round and appear in the report. */
export const CASE_KINDS: readonly CaseKind[] = ['bare', 'clock', 'ours', 'prom', 'otel'];

/** One hot-path case. */
export interface CaseSpec {
  kind: CaseKind;
  isAsync: boolean;
  /** Series the calls are spread over, round robin: 1 or 100. */
  series: number;
}

/** The calls of a case, one per series, and what to do between timed chunks. */
export interface BuiltCase<C> {
  calls: C[];
  /** Hands over the meter's buckets, as an agent's flush does every second. */
  betweenChunks(): void;
}

// The peers are imported only by their own cases: loading both costs a child about 250 ms.
const loadPeers = (): Promise<typeof import('./peers.js')> => import('./peers.js');

/** Builds the sync calls of a case. */
export async function buildSync(spec: CaseSpec): Promise<BuiltCase<SyncCall>> {
  const labels = seriesLabels(spec.series);
  switch (spec.kind) {
    case 'bare':
      return plain(labels.map(() => work));
    case 'clock':
      return plain(labels.map(() => clockPair()));
    case 'ours':
      return measured(labels, work);
    case 'prom':
    case 'otel': {
      const peers = await loadPeers();
      const record = spec.kind === 'prom' ? peers.promRecord() : peers.otelRecord();
      return plain(peers.syncPeer(record, labels));
    }
  }
}

/** Builds the async calls of a case. */
export async function buildAsync(spec: CaseSpec): Promise<BuiltCase<AsyncCall>> {
  const labels = seriesLabels(spec.series);
  switch (spec.kind) {
    case 'bare':
      return plain(labels.map(() => workAsync));
    case 'clock':
      return plain(labels.map(() => clockPairAsync()));
    case 'ours':
      return measured(labels, workAsync);
    case 'prom':
    case 'otel': {
      const peers = await loadPeers();
      const record = spec.kind === 'prom' ? peers.promRecord() : peers.otelRecord();
      return plain(peers.asyncPeer(record, labels));
    }
  }
}

function plain<C>(calls: C[]): BuiltCase<C> {
  return { calls, betweenChunks: () => undefined };
}

// One wrapper per series of the same function, as a service wraps one method per endpoint.
function measured<C extends SyncCall | AsyncCall>(
  labels: readonly { gateway: string; endpoint: string }[],
  fn: C,
): BuiltCase<C> {
  const host = { meter: new Meter() };
  const calls = labels.map(({ gateway, endpoint }) =>
    measureTps({ gateway, endpoint, agent: host })(fn),
  );

  return { calls, betweenChunks: () => void host.meter.drain() };
}

// A closure per series, like the wrappers of the other kinds, so that the call site sees as
// many distinct functions in every kind but `bare`.
function clockPair(): SyncCall {
  return (i) => {
    const startMs = performance.now();
    const result = work(i);
    durationSink[0] = performance.now() - startMs;

    return result;
  };
}

function clockPairAsync(): AsyncCall {
  return async (i) => {
    const startMs = performance.now();
    const result = await workAsync(i);
    durationSink[0] = performance.now() - startMs;

    return result;
  };
}
