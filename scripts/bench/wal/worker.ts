/**
 * The log's benchmarks, one job per fresh process: appending through the real log, writing
 * raw batches to classic-level as the disk's ceiling, filling a log, and opening a full one.
 */
import { encodeSketch, newSketch } from '../../../src/protocol/sketch.js';
import { rm } from 'node:fs/promises';
import type { RecordDraft } from '../../../src/protocol/types.js';
import { encodeEntry } from '../../../src/wal/codec.js';
import { WriteAheadLog } from '../../../src/wal/index.js';
import { withSampling, type SamplingRequest } from '../sampling.js';
import { readConfig, runMain } from '../worker-io.js';
import { realisticDrafts, shifted } from './drafts.js';
import { openRaw, writeRaw, type RawForm } from './raw.js';

/** What the harness asks of this worker. */
export type WalConfig =
  | {
      job: 'append';
      location: string;
      /** Calls per draft: 500 (a busy series) unless set. */
      callsPerDraft?: number;
      batches: number;
      batchSize: number;
      profile?: SamplingRequest;
    }
  | {
      job: 'raw';
      location: string;
      form: RawForm;
      values: 'small' | 'record';
      batches: number;
      batchSize: number;
    }
  | { job: 'fill'; location: string; records: number; batchSize: number; maxBytes: number }
  | { job: 'open'; location: string; maxBytes: number };

/** What this worker reports. */
export interface WalResult {
  recordsPerSecond?: number;
  /** Mean bytes of a record's value. */
  valueBytes?: number;
  /** Mean bytes of a record's sketch in its wire form (base64 protobuf), before storing. */
  sketchBytes?: number;
  /** Milliseconds to encode one batch as the log does (`encodeEntry`), timed apart. */
  encodeMsPerBatch?: number;
  openMs?: number;
  /** Milliseconds of the first `readOldest(100)` after open. */
  firstReadMs?: number;
  pending?: number;
}

/** Batches that run before the clock starts, so that each form is timed warm. */
const WARMUP_BATCHES = 3;

function sinceMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** One distinct batch per second of drafts, made before timing starts. */
function batchesOf(count: number, batchSize: number, callsPerDraft?: number): RecordDraft[][] {
  const base = realisticDrafts(batchSize, { callsPerDraft });
  const perBatchSeconds = Math.ceil(batchSize / 20);

  return Array.from({ length: count }, (_, b) => shifted(base, b * perBatchSeconds));
}

/** Mean length of the drafts' sketches in their wire form. */
function meanSketchBytes(batch: readonly RecordDraft[]): number {
  return batch.reduce((sum, draft) => sum + draft.sketch.length, 0) / batch.length;
}

/** Mean stored value size and the warm cost of encoding one batch as the log does. */
function encodingCost(batch: readonly RecordDraft[]): {
  valueBytes: number;
  encodeMsPerBatch: number;
} {
  let bytes = 0;
  let best = Infinity;
  // The best of five: the first passes include compiling the encoder.
  for (let pass = 0; pass < 5; pass++) {
    const start = process.hrtime.bigint();
    bytes = batch.reduce((sum, draft, i) => sum + encodeEntry(i + 1, draft, 0).bytes, 0);
    best = Math.min(best, sinceMs(start));
  }

  return { valueBytes: bytes / batch.length, encodeMsPerBatch: best };
}

async function append(config: Extract<WalConfig, { job: 'append' }>): Promise<WalResult> {
  const batches = batchesOf(
    config.batches + WARMUP_BATCHES,
    config.batchSize,
    config.callsPerDraft,
  );
  const { valueBytes, encodeMsPerBatch } = encodingCost(batches[0] ?? []);
  const sketchBytes = meanSketchBytes(batches[0] ?? []);

  await rm(config.location, { recursive: true, force: true });
  const log = await WriteAheadLog.open(config.location);
  for (const batch of batches.slice(0, WARMUP_BATCHES)) await log.append(batch);
  const start = process.hrtime.bigint();
  await withSampling(config.profile, async () => {
    for (const batch of batches.slice(WARMUP_BATCHES)) await log.append(batch);
  });
  const seconds = sinceMs(start) / 1000;
  await log.close();
  await rm(config.location, { recursive: true, force: true });

  return {
    recordsPerSecond: (config.batches * config.batchSize) / seconds,
    valueBytes,
    sketchBytes,
    encodeMsPerBatch,
  };
}

async function raw(config: Extract<WalConfig, { job: 'raw' }>): Promise<WalResult> {
  const small = Array.from({ length: config.batchSize }, (_, i) => `{"count":${i}}`);
  const values =
    config.values === 'small'
      ? small
      : realisticDrafts(config.batchSize).map((draft, i) => encodeEntry(i + 1, draft, 0).value);
  const db = await openRaw(config.location);
  let seq = 1;
  for (let b = 0; b < WARMUP_BATCHES; b++, seq += values.length) {
    await writeRaw(db, config.form, seq, values);
  }

  const start = process.hrtime.bigint();
  for (let b = 0; b < config.batches; b++, seq += values.length) {
    await writeRaw(db, config.form, seq, values);
  }
  const seconds = sinceMs(start) / 1000;
  await db.close();
  const valueBytes = values.reduce((sum, value) => sum + value.length, 0) / values.length;

  return { recordsPerSecond: (config.batches * config.batchSize) / seconds, valueBytes };
}

async function fill(config: Extract<WalConfig, { job: 'fill' }>): Promise<WalResult> {
  // Light records: open reads no record values, and a million records of full size would take
  // minutes to write and more disk than the agent's default byte cap allows.
  const empty = encodeSketch(newSketch());
  const base = realisticDrafts(config.batchSize, { callsPerDraft: 1 }).map((draft) => ({
    ...draft,
    sketch: empty,
  }));
  const log = await WriteAheadLog.open(config.location, { maxBytes: config.maxBytes });
  const start = process.hrtime.bigint();
  for (let b = 0; b * config.batchSize < config.records; b++) {
    await log.append(shifted(base, b * Math.ceil(config.batchSize / 20)));
  }
  const seconds = sinceMs(start) / 1000;
  const pending = log.pendingCount;
  await log.close();

  const valueBytes = base[0] === undefined ? 0 : encodeEntry(1, base[0], 0).bytes;

  return { recordsPerSecond: pending / seconds, pending, valueBytes };
}

async function open(config: Extract<WalConfig, { job: 'open' }>): Promise<WalResult> {
  const start = process.hrtime.bigint();
  const log = await WriteAheadLog.open(config.location, { maxBytes: config.maxBytes });
  const openMs = sinceMs(start);
  const readStart = process.hrtime.bigint();
  await log.readOldest(100);
  const firstReadMs = sinceMs(readStart);
  const pending = log.pendingCount;
  await log.close();

  return { openMs, firstReadMs, pending };
}

function main(): Promise<WalResult> {
  const config = readConfig<WalConfig>();
  switch (config.job) {
    case 'append':
      return append(config);
    case 'raw':
      return raw(config);
    case 'fill':
      return fill(config);
    case 'open':
      return open(config);
  }
}

runMain(main);
