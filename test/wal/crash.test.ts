import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isTpsError } from '../../src/errors.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { encodeEntry } from '../../src/wal/codec.js';
import { recount } from '../../src/wal/reconcile.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { makeDraft } from './fixtures/drafts.js';
import { withRaw } from './fixtures/raw.js';

const CHILD = fileURLToPath(new URL('./fixtures/append-loop.js', import.meta.url));
const KILLS = 5;
/** Bytes of one record the child appends, near enough: its t has as many digits as these. */
const RECORD_BYTES = encodeEntry(1, makeDraft(Date.now()), Date.now()).bytes;
/** How long one child may take to acknowledge enough appends before the test gives up. */
const ROUND_LIMIT_MS = 15_000;

/** What a child reported before it was killed. */
interface ChildReport {
  agentId: string;
  /** Highest seq of an append that resolved. */
  maxAck: number;
  /** Highest seq the child started to delete; records up to it may be gone. */
  maxDeleting: number;
}

/**
 * Runs the append loop in a child until it has acknowledged `acks` appends, then SIGKILLs it
 * while its next write is in flight.
 */
async function runAndKill(location: string, acks: number, maxBytes?: number): Promise<ChildReport> {
  const args = [CHILD, location, ...(maxBytes === undefined ? [] : [String(maxBytes)])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  const report: ChildReport = { agentId: '', maxAck: 0, maxDeleting: 0 };
  const timer = setTimeout(() => child.kill('SIGKILL'), ROUND_LIMIT_MS);
  let seen = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  for await (const line of createInterface({ input: child.stdout })) {
    const [word = '', value = ''] = line.split(' ');
    if (word === 'open') report.agentId = value;
    if (word === 'deleting') report.maxDeleting = Math.max(report.maxDeleting, Number(value));
    if (word === 'ack') report.maxAck = Math.max(report.maxAck, Number(value));
    // Keep reading after the kill: the child may have printed more lines (a `deleting` among
    // them) before the signal landed, and each of them is true.
    if (word === 'ack' && ++seen === acks) child.kill('SIGKILL');
  }

  const [, signal] = await exited;
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', `child ended without being killed: ${stderr}`);
  assert.ok(seen >= acks, `child acknowledged ${seen} of ${acks} appends in time: ${stderr}`);

  return report;
}

describe('WriteAheadLog across processes', () => {
  let dir: string;

  before(async () => {
    dir = await makeTempDir('tps-wal-crash-');
  });

  after(async () => {
    await removeDir(dir);
  });

  it('refuses a data dir another process has open', { timeout: 30_000 }, async () => {
    const location = join(dir, 'locked');
    const child = spawn(process.execPath, [CHILD, location], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      for await (const line of lines) if (line.startsWith('open ')) break;

      await assert.rejects(WriteAheadLog.open(location), (error: unknown) => {
        assert.ok(isTpsError(error) && error.code === 'ERR_TPS_DATADIR_LOCKED');
        assert.match(error.message, /another agent is using this data dir/);
        assert.match(error.message, /lock .*LOCK/);
        const cause = error.cause as { code?: unknown; cause?: { code?: unknown } };
        assert.equal(cause.code, 'LEVEL_DATABASE_NOT_OPEN');
        assert.equal(cause.cause?.code, 'LEVEL_LOCKED');
        assert.ok(error.message.includes(location));

        return true;
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    // The lock died with its holder: the data dir opens at once, as it was, not repaired.
    const log = await WriteAheadLog.open(location);
    try {
      assert.equal(log.recovery, undefined);
      assert.ok(log.totalStored > 0);
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.startsWith('locked.')),
        [],
        'a locked data dir is never moved aside',
      );
    } finally {
      await log.close();
    }
  });

  it(
    'keeps every acknowledged record and exact counters over five kills',
    { timeout: 120_000 },
    async () => {
      const location = join(dir, 'wal');
      let agentId: string | undefined;
      let previousLastSeq = 0;

      for (let kill = 1; kill <= KILLS; kill++) {
        const report = await runAndKill(location, 4 + kill * 3);
        const log = await WriteAheadLog.open(location);
        try {
          const records = await log.readOldest(Number.MAX_SAFE_INTEGER);
          const seqs = records.map((record) => record.seq);
          const lastSeq = seqs.at(-1) ?? 0;

          // The same identity every time, and seqs carry on from the run before.
          agentId ??= log.agentId;
          assert.equal(report.agentId, agentId);
          assert.equal(log.agentId, agentId);
          assert.ok(report.maxAck > previousLastSeq, 'the child went on from the last seq');

          // Every acknowledged record not yet handed to delete is present, and nothing else is
          // missing in between: deletes only take the oldest records.
          for (let seq = report.maxDeleting + 1; seq <= report.maxAck; seq++) {
            assert.ok(seqs.includes(seq), `acknowledged seq ${seq} survived`);
          }
          seqs.forEach((seq, i) => i > 0 && assert.equal(seq, (seqs[i - 1] ?? 0) + 1));

          // The counters describe exactly the records found by iterating.
          assert.equal(log.pendingCount, records.length);
          assert.equal(log.totalStored, log.counts().sent + log.pendingCount);
          // Deletes never take the newest record, so the last one present holds the last seq.
          assert.equal(log.totalStored, lastSeq);
          previousLastSeq = Math.max(lastSeq, report.maxAck);
        } finally {
          await log.close();
        }
      }
    },
  );

  it('keeps the size cap and exact counters over three kills', { timeout: 60_000 }, async () => {
    const location = join(dir, 'capped');
    // Room for 50 records: the child's batches of 20 soon push the oldest out for size.
    const maxBytes = 50 * RECORD_BYTES;

    for (let kill = 1; kill <= 3; kill++) {
      await runAndKill(location, 10, maxBytes);
      const log = await WriteAheadLog.open(location, { maxBytes });
      const records = await log.readOldest(Number.MAX_SAFE_INTEGER);
      const { pendingCount, pendingBytes, totalStored } = log;
      const counts = log.counts();
      await log.close();
      const found = await withRaw(location, recount);

      assert.equal(log.recovery, undefined);
      assert.equal(pendingCount, records.length);
      assert.equal(found.bytes, pendingBytes);
      assert.ok(pendingBytes <= maxBytes, `${pendingBytes} bytes kept under ${maxBytes}`);
      assert.ok(counts.size > 0, 'records were dropped for size');
      const dropped = Object.values(counts).reduce((sum, n) => sum + n, 0);
      assert.equal(totalStored, dropped + pendingCount);
    }
  });
});
