import { join } from 'node:path';
import { CollectorClient, Sender, type SenderOptions } from '../../src/delivery/index.js';
import { encodeSketch, newSketch } from '../../src/protocol/sketch.js';
import type { RecordDraft } from '../../src/protocol/types.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { capturingLogger } from './support.js';

export { capturingLogger, delay, keepProcessAlive } from './support.js';

/** A valid sketch of one 10 ms call, as the meter would make it. */
const SKETCH = (() => {
  const sketch = newSketch();
  sketch.accept(10);
  return encodeSketch(sketch);
})();

/** `n` one-call drafts for consecutive seconds of the last few minutes, one series. */
export function makeDrafts(n: number, gateway = 'payments'): RecordDraft[] {
  const firstT = Math.floor(Date.now() / 1000) * 1000 - n * 1000;

  return Array.from({ length: n }, (_, i) => ({
    t: firstT + i * 1000,
    gateway,
    endpoint: 'charge',
    tags: {},
    count: 1,
    errors: 0,
    duration_sum_ms: 10,
    duration_min_ms: 10,
    duration_max_ms: 10,
    sketch: SKETCH,
    error_kinds: {},
  }));
}

/** A sender over a real log in a temp dir, with its client; dispose stops and removes all. */
export interface SenderRig {
  sender: Sender;
  log: WriteAheadLog;
  client: CollectorClient;
  logger: ReturnType<typeof capturingLogger>;
  /** Appends `n` records. */
  append(n: number): Promise<void>;
  /** Seqs in the log now, oldest first. */
  pendingSeqs(): Promise<number[]>;
  dispose(): Promise<void>;
}

/** Options of {@link startSender}: any sender option but the parts the rig makes. */
export type RigOptions = Partial<Omit<SenderOptions, 'log' | 'client' | 'logger'>> & {
  requestTimeoutMs?: number;
};

/** Opens a log in a fresh temp dir and builds a sender posting to `collectorUrl`. */
export async function startSender(
  collectorUrl: string,
  options: RigOptions = {},
): Promise<SenderRig> {
  const dir = await makeTempDir('tps-delivery-');
  const log = await WriteAheadLog.open(join(dir, 'wal'));
  const { requestTimeoutMs = 2000, ...senderOptions } = options;
  const client = new CollectorClient({ collectorUrl, requestTimeoutMs });
  const logger = capturingLogger();
  const sender = new Sender({
    serverId: 'server-1',
    batchSize: 10,
    maxRetries: 0,
    initialDelayMs: 5,
    maxDelayMs: 20,
    halfOpenAfterMs: 300,
    ...senderOptions,
    log,
    client,
    logger: logger.logger,
  });

  return {
    sender,
    log,
    client,
    logger,
    append: async (n) => void (await log.append(makeDrafts(n))),
    pendingSeqs: async () => (await log.readOldest(100_000)).map((record) => record.seq),
    async dispose() {
      await sender.stop();
      await log.close();
      client.close();
      await removeDir(dir);
    },
  };
}

/** Drains with a generous deadline; the sender's own outcome decides when it returns. */
export async function drain(sender: Sender, timeoutMs = 10_000): Promise<void> {
  await sender.drainUntil(AbortSignal.timeout(timeoutMs));
}
