/**
 * The log's benchmarks, one job per fresh process: appending through the real log, writing
 * raw batches to classic-level as the disk's ceiling, filling a log, and opening a full one.
 */
import { encodeSketch, newSketch } from '../../../src/protocol/sketch.js';
import { rm } from 'node:fs/promises';
import type { RecordDraft } from '../../../src/protocol/types.js';
import { WriteAheadLog } from '../../../src/wal/index.js';
import { recordKey } from '../../../src/wal/keys.js';
import { MAX_PAGE_RECORDS, encodePages, type EncodedPage } from '../../../src/wal/page.js';
import { WAL_WARMUP_BATCHES as WARMUP_BATCHES } from '../mode.js';
import { withSampling, type SamplingRequest } from '../sampling.js';
import { readConfig, runMain } from '../worker-io.js';
import { realisticDrafts, shifted } from './drafts.js';
import { openRaw, writeRaw, writeRawPages, type RawDb, type RawForm } from './raw.js';

/** What the harness asks of this worker. */
export type WalConfig =
  | {
      job: 'append';
      location: string;
      /** Calls per draft: 500 (a busy series) unless set. */
      callsPerDraft?: number;
      /** Appends made before the oldest is awaited: 1 unless set. */
      inFlight?: number;
      batches: number;
      batchSize: number;
      profile?: SamplingRequest;
    }
  | {
      job: 'raw';
      location: string;
      form: RawForm;
      /** 13-byte values one per record, or the pages the log would write for real drafts. */
      values: 'small' | 'pages';
      /** Calls per draft of the pages: 500 unless set. */
      callsPerDraft?: number;
      batches: number;
      batchSize: number;
    }
  | { job: 'fill'; location: string; records: number; batchSize: number; maxBytes: number }
  | { job: 'open'; location: string; maxBytes: number };

/** What this worker reports. */
export interface WalResult {
  recordsPerSecond?: number;
  /** Mean bytes a record takes in the log's values: its page's bytes over its records. */
  valueBytes?: number;
  /** Mean bytes of a record's sketch in its wire form (base64 protobuf), before storing. */
  sketchBytes?: number;
  /** CPU milliseconds per timed batch, of every thread of the process (LevelDB's too). */
  cpuMsPerBatch?: number;
  /** Milliseconds to encode one batch as the log does (`encodePages`), timed apart. */
  encodeMsPerBatch?: number;
  openMs?: number;
  /** Milliseconds of the first `readOldest(100)` after open. */
  firstReadMs?: number;
  pending?: number;
}

function sinceMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** User and system CPU milliseconds since `start`, over every thread of the process. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);

  return (user + system) / 1000;
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

/** Bytes per record of the pages. */
function bytesPerRecord(pages: readonly EncodedPage[]): number {
  const records = pages.reduce((sum, page) => sum + page.count, 0);

  return pages.reduce((sum, page) => sum + page.value.length, 0) / records;
}

/**
 * Mean stored bytes per record and the cost of encoding one batch as the log does. Called after
 * the timed appends, when the encoder is compiled as it ran in them.
 */
function encodingCost(batch: readonly RecordDraft[]): {
  valueBytes: number;
  encodeMsPerBatch: number;
} {
  let valueBytes = 0;
  let best = Infinity;
  for (let pass = 0; pass < 20; pass++) {
    const start = process.hrtime.bigint();
    valueBytes = bytesPerRecord(encodePages(1, batch, 0));
    best = Math.min(best, sinceMs(start));
  }

  return { valueBytes, encodeMsPerBatch: best };
}

/** Appends every batch in order, awaiting the oldest append once `inFlight` are made. */
async function appendAll(
  log: WriteAheadLog,
  batches: readonly RecordDraft[][],
  inFlight: number,
): Promise<void> {
  const waiting: Promise<unknown>[] = [];
  for (const batch of batches) {
    if (waiting.length >= inFlight) await waiting.shift();
    waiting.push(log.append(batch));
  }
  await Promise.all(waiting);
}

async function append(config: Extract<WalConfig, { job: 'append' }>): Promise<WalResult> {
  const batches = batchesOf(
    config.batches + WARMUP_BATCHES,
    config.batchSize,
    config.callsPerDraft,
  );
  const sketchBytes = meanSketchBytes(batches[0] ?? []);

  await rm(config.location, { recursive: true, force: true });
  const log = await WriteAheadLog.open(config.location);
  const inFlight = config.inFlight ?? 1;
  await appendAll(log, batches.slice(0, WARMUP_BATCHES), inFlight);
  const startCpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await withSampling(config.profile, () => appendAll(log, batches.slice(WARMUP_BATCHES), inFlight));
  const seconds = sinceMs(start) / 1000;
  const cpuMsPerBatch = cpuMsSince(startCpu) / config.batches;
  await log.close();
  await rm(config.location, { recursive: true, force: true });
  const { valueBytes, encodeMsPerBatch } = encodingCost(batches[0] ?? []);

  return {
    recordsPerSecond: (config.batches * config.batchSize) / seconds,
    valueBytes,
    sketchBytes,
    encodeMsPerBatch,
    cpuMsPerBatch,
  };
}

async function raw(config: Extract<WalConfig, { job: 'raw' }>): Promise<WalResult> {
  const db = await openRaw(config.location);
  const write =
    config.values === 'small'
      ? smallValues(db, config.form, config.batchSize)
      : pagesOf(db, config.batchSize, config.callsPerDraft);
  for (let b = 0; b < WARMUP_BATCHES; b++) await write.next();

  const startCpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let b = 0; b < config.batches; b++) await write.next();
  const seconds = sinceMs(start) / 1000;
  const cpuMsPerBatch = cpuMsSince(startCpu) / config.batches;
  await db.close();

  return {
    recordsPerSecond: (config.batches * config.batchSize) / seconds,
    cpuMsPerBatch,
    ...write.sizes,
  };
}

/** A raw writer: each `next()` writes one batch of records. */
interface RawWriter {
  next(): Promise<void>;
  sizes: { valueBytes: number };
}

function smallValues(db: RawDb, form: RawForm, batchSize: number): RawWriter {
  const values = Array.from({ length: batchSize }, (_, i) => `{"count":${i}}`);
  let seq = 1;
  const next = async (): Promise<void> => {
    await writeRaw(db, form, seq, values);
    seq += values.length;
  };
  const valueBytes = values.reduce((sum, value) => sum + value.length, 0) / values.length;

  return { next, sizes: { valueBytes } };
}

/** The log's own pages for a batch of real drafts, under the next keys on each write. */
function pagesOf(db: RawDb, batchSize: number, callsPerDraft?: number): RawWriter {
  const pages = encodePages(1, realisticDrafts(batchSize, { callsPerDraft }), 0);
  let seq = 1;
  const next = async (): Promise<void> => {
    const keyed = pages.map(({ value }, i) => ({
      key: recordKey(seq + i * MAX_PAGE_RECORDS),
      value,
    }));
    await writeRawPages(db, keyed);
    seq += batchSize;
  };

  return { next, sizes: { valueBytes: bytesPerRecord(pages) } };
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

  const valueBytes = bytesPerRecord(encodePages(1, base, 0));

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
