import { pino, type Logger } from 'pino';
import {
  startCollector,
  type Collector,
  type CollectorOptions,
} from '../../src/collector/index.js';
import { encodeSketch, newSketch } from '../../src/protocol/sketch.js';
import type { MetricRecord } from '../../src/protocol/types.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

/** A collector on port 0 in a fresh data directory. */
export interface TestCollector {
  collector: Collector;
  dataDir: string;
  /** Closes the collector and removes its directory. */
  cleanup(): Promise<void>;
}

/** Starts a collector on port 0 with its own temp data directory (or `options.dataDir`). */
export async function startTestCollector(options: CollectorOptions = {}): Promise<TestCollector> {
  const dataDir = options.dataDir ?? (await makeTempDir('tps-collector-'));
  const collector = await startCollector({ ...options, port: 0, dataDir });

  return {
    collector,
    dataDir,
    async cleanup() {
      await collector.close();
      await removeDir(dataDir);
    },
  };
}

/** A status and a parsed JSON body. */
export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Posts `body` as JSON (or a string as-is) and parses the JSON answer. */
export async function postJson<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<JsonAnswer<T>> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', headers, body: payload });

  return { status: response.status, body: (await response.json()) as T };
}

/** Gets `url` and parses the JSON answer. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<JsonAnswer<T>> {
  const response = await fetch(url);

  return { status: response.status, body: (await response.json()) as T };
}

/** Base64 sketch of the given latencies. */
export function sketchOf(durationsMs: number[]): string {
  const sketch = newSketch();
  for (const ms of durationsMs) sketch.accept(ms);

  return encodeSketch(sketch);
}

/**
 * A record with the given latencies and overrides. Count, sum, min, max and sketch follow the
 * latencies unless overridden.
 */
export function makeRecord(
  overrides: Partial<MetricRecord> = {},
  durationsMs: number[] = [10],
): MetricRecord {
  return {
    seq: 1,
    t: 1_704_067_200_000,
    gateway: 'payments',
    endpoint: 'charge',
    tags: {},
    count: durationsMs.length,
    errors: 0,
    duration_sum_ms: durationsMs.reduce((a, b) => a + b, 0),
    duration_min_ms: Math.min(...durationsMs),
    duration_max_ms: Math.max(...durationsMs),
    sketch: sketchOf(durationsMs),
    error_kinds: {},
    ...overrides,
  };
}

/** A clock tests move by hand. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** Makes a {@link ManualClock} that starts at `startMs`. */
export function manualClock(startMs: number): ManualClock {
  let current = startMs;

  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}

/** A pino logger that keeps every line it writes, parsed, in `lines`. */
export function capturingLogger(level = 'debug'): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );

  return { logger, lines };
}
