import { join } from 'node:path';
import { runWorker, workerPath } from '../child.js';
import { num, spread, table } from '../format.js';
import type { BenchMode } from '../mode.js';
import { progress } from '../section.js';
import { figure, type Figure } from '../stats.js';
import { withTempDir } from '../temp.js';
import type { WalConfig, WalResult } from './worker.js';

const WORKER = workerPath('./wal/worker.js');
// The default byte cap would drop the oldest of a million records; start-up is measured with
// every record kept, so the cap is lifted for the fill and the opens.
const LIFTED_MAX_BYTES = 2 ** 34;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** A filled log and how long it took to open. */
export interface StartupFigures {
  fill: WalResult;
  empty: Figure;
  first: WalResult;
  later: WalResult[];
}

function open(location: string): Promise<WalResult> {
  const config: WalConfig = { job: 'open', location, maxBytes: LIFTED_MAX_BYTES };

  return runWorker<WalResult>(WORKER, config);
}

/** Opens empty logs, then fills one and opens it in fresh processes, first and later. */
export async function measureStartup(mode: BenchMode): Promise<StartupFigures> {
  const empty: number[] = [];
  for (let i = 0; i < mode.startupOpens; i++) {
    const result = await withTempDir('wal-empty', (dir) => open(join(dir, 'wal')));
    empty.push(result.openMs ?? NaN);
  }

  return withTempDir('wal-startup', async (dir) => {
    const location = join(dir, 'wal');
    progress(`log: filling a log with ${num(mode.startupRecords)} records`);
    const config: WalConfig = {
      job: 'fill',
      location,
      records: mode.startupRecords,
      batchSize: 10_000,
      maxBytes: LIFTED_MAX_BYTES,
    };
    const fill = await runWorker<WalResult>(WORKER, config, { timeoutMs: 600_000 });
    const first = await open(location);
    const later: WalResult[] = [];
    for (let i = 1; i < mode.startupOpens; i++) later.push(await open(location));

    return { fill, empty: figure(empty), first, later };
  });
}

const ms = (results: readonly WalResult[], key: keyof WalResult): string =>
  spread(figure(results.map((result) => result[key] ?? NaN)), 'ms');

/** The start-up part of section 3, as Markdown. */
export function startupMarkdown(startup: StartupFigures, recordBytes: number): string {
  const { fill, first, later } = startup;
  const rows = [
    ['open an empty log (LevelDB alone)', spread(startup.empty, 'ms'), '—'],
    ['first open after the fill', ms([first], 'openMs'), ms([first], 'firstReadMs')],
    ['later opens', ms(later, 'openMs'), ms(later, 'firstReadMs')],
  ];
  const header = ['open', '`WriteAheadLog.open`', 'first `readOldest(100)`'];

  return `Start-up: one log filled with ${num(fill.pending ?? NaN)} pending records
through \`WriteAheadLog.append\` (batches of 10,000, at
${num(fill.recordsPerSecond ?? NaN)} records/s; the byte cap lifted so none is
dropped), then opened in fresh processes. The records are light
(${num(fill.valueBytes ?? NaN)} bytes each in the log's pages, sketch emptied): open
reads no record values, so their size does not change what it costs. Under the
default cap of 256 MiB a million records fit only at under
${num(DEFAULT_MAX_BYTES / 1e6)} bytes each; records of the meter's size
(${num(recordBytes)} bytes) stop at about ${num(DEFAULT_MAX_BYTES / recordBytes)}.
The first open replays LevelDB's journal; later ones do not.

${table(header, rows)}`;
}
