import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Counter, Histogram, Registry } from 'prom-client';
import { work, workAsync, type AsyncCall, type SyncCall } from './work.js';

type Labels = { gateway: string; endpoint: string };

/** What a peer does per call, given the call's two clock readings. */
type PeerRecord = (labels: Labels, startMs: number, endMs: number) => void;

/** prom-client as its users write it: a labelled counter and a labelled histogram in seconds. */
export function promRecord(): PeerRecord {
  const registers = [new Registry()];
  const labelNames = ['gateway', 'endpoint'] as const;
  const counter = new Counter({
    name: 'bench_calls_total',
    help: 'calls',
    labelNames,
    registers,
  });
  const histogram = new Histogram({
    name: 'bench_call_duration_seconds',
    help: 'call duration',
    labelNames,
    registers,
  });

  return (labels, startMs, endMs) => {
    counter.inc(labels);
    histogram.observe(labels, (endMs - startMs) / 1000);
  };
}

// The SDK drops measurements that no reader will collect, so one reader is attached; it is
// never collected during the timing, so no export cost lands in the figures.
class HeldReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The OpenTelemetry SDK: a counter and a histogram in milliseconds, with attributes. */
export function otelRecord(): PeerRecord {
  const provider = new MeterProvider({ readers: [new HeldReader()] });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('bench.calls');
  const histogram = meter.createHistogram('bench.call.duration', { unit: 'ms' });

  return (labels, startMs, endMs) => {
    counter.add(1, labels);
    histogram.record(endMs - startMs, labels);
  };
}

/** One sync wrapper per series, timing {@link work} and handing the readings to `record`. */
export function syncPeer(record: PeerRecord, series: readonly Labels[]): SyncCall[] {
  return series.map((labels) => (i: number): number => {
    const startMs = performance.now();
    const result = work(i);
    record(labels, startMs, performance.now());

    return result;
  });
}

/** The async form of {@link syncPeer}. */
export function asyncPeer(record: PeerRecord, series: readonly Labels[]): AsyncCall[] {
  return series.map((labels) => async (i: number): Promise<number> => {
    const startMs = performance.now();
    const result = await workAsync(i);
    record(labels, startMs, performance.now());

    return result;
  });
}
