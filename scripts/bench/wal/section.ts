import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorker, workerPath } from '../child.js';
import { num, ratio, spread, table } from '../format.js';
import { WAL_WARMUP_BATCHES, type BenchMode } from '../mode.js';
import { progress, statusOf, type ProfileTop, type Section, type TargetCheck } from '../section.js';
import { figure, pairRatio } from '../stats.js';
import { withTempDir } from '../temp.js';
import { MAX_PAGE_RECORDS } from '../../../src/wal/page.js';
import { measureStartup, startupMarkdown } from './startup.js';
import type { WalConfig, WalResult } from './worker.js';

const WORKER = workerPath('./wal/worker.js');
const BATCH_SIZE = 1000;
const TARGET_RECORDS_PER_SECOND = 500_000;
/** Calls a second in each record of the light form: a quiet series. */
const LIGHT_CALLS = 5;

/** The append forms, each in its own process and fresh directory, in this order per round. */
const FORMS = [
  { id: 'log', label: '`WriteAheadLog.append`, busy records (500 calls a second each)' },
  {
    id: 'log-two',
    label: '`WriteAheadLog.append`, busy records, two appends in flight',
  },
  {
    id: 'log-light',
    label: `\`WriteAheadLog.append\`, light records (${LIGHT_CALLS} calls a second each)`,
  },
  { id: 'raw-pages', label: 'raw chained batch of the log’s own pages, busy records' },
  { id: 'raw-pages-light', label: 'raw chained batch of the log’s own pages, light records' },
  { id: 'raw-small', label: 'raw chained batch, one 13-byte value per record' },
  { id: 'raw-array', label: 'raw `batch(array, { sync: true })`, one 13-byte value per record' },
] as const;

type FormId = (typeof FORMS)[number]['id'];
type FormResults = Record<FormId, WalResult[]>;
type LogForm = 'log' | 'log-two' | 'log-light';

/** The log form each raw form is the ceiling of: the light pages are the light records'. */
const PEER_OF: Record<FormId, LogForm | undefined> = {
  log: undefined,
  'log-two': undefined,
  'log-light': undefined,
  'raw-pages': 'log',
  'raw-pages-light': 'log-light',
  'raw-small': 'log',
  'raw-array': 'log',
};

function configOf(id: FormId, location: string, batches: number): WalConfig {
  const sizes = { batches, batchSize: BATCH_SIZE };
  if (id === 'log') return { job: 'append', location, ...sizes };
  if (id === 'log-two') return { job: 'append', location, inFlight: 2, ...sizes };
  if (id === 'log-light') return { job: 'append', location, callsPerDraft: LIGHT_CALLS, ...sizes };
  if (id === 'raw-pages')
    return { job: 'raw', location, form: 'chained', values: 'pages', ...sizes };
  if (id === 'raw-pages-light') {
    const light = { callsPerDraft: LIGHT_CALLS, ...sizes };
    return { job: 'raw', location, form: 'chained', values: 'pages', ...light };
  }
  const form = id === 'raw-array' ? 'array-with-options' : 'chained';

  return { job: 'raw', location, form, values: 'small', ...sizes };
}

async function measureAppends(mode: BenchMode): Promise<FormResults> {
  const results = Object.fromEntries(FORMS.map(({ id }) => [id, []])) as unknown as FormResults;
  for (let run = 0; run < mode.walRuns; run++) {
    progress(`log: append round ${run + 1} of ${mode.walRuns}`);
    for (const { id } of FORMS) {
      const result = await withTempDir('wal', (dir) =>
        runWorker<WalResult>(WORKER, configOf(id, join(dir, 'wal'), mode.walBatches)),
      );
      results[id].push(result);
    }
  }

  return results;
}

const pick = (results: readonly WalResult[], key: keyof WalResult): number[] =>
  results.map((result) => result[key] ?? NaN);

function appendTable(results: FormResults): string {
  const rate = (id: FormId): number[] => pick(results[id], 'recordsPerSecond');
  const rows = FORMS.map(({ id, label }) => {
    const peer = PEER_OF[id];
    const logRatio = peer === undefined ? '—' : ratio(pairRatio(rate(peer), rate(id)));

    return [
      label,
      spread(figure(rate(id)), 'records/s'),
      num(figure(pick(results[id], 'valueBytes')).median),
      `${num(figure(pick(results[id], 'cpuMsPerBatch')).median)} ms`,
      logRatio,
    ];
  });
  const header = [
    'form',
    'appended with sync on',
    'bytes per record',
    'CPU per batch',
    'its log form ÷ this',
  ];

  return table(header, rows);
}

/** Where the main thread's time went in the profile: waiting, GC, encoding. */
function profileNote(profile: ProfileTop | undefined): string {
  if (profile === undefined) return '';
  const share = (name: string): number =>
    profile.byOrigin.find((entry) => entry.name === name)?.share ?? 0;
  const encode = profile.top
    .filter((entry) =>
      /^(writeGroupedBins|writeGroup|bitsOf|copyGroup|writeRecord|encodePage|writePairs|indexOf) /.test(
        entry.name,
      ),
    )
    .reduce((sum, entry) => sum + entry.share, 0);
  const pct = (value: number): string => `${num(value * 100, 2)} %`;

  return (
    ` The profile: the main thread waits for LevelDB's synced write in ` +
    `${pct(profile.idleShare)} of the samples; of the rest, the garbage collector ` +
    `takes ${pct(share('garbage collector'))} and encoding pages (\`writeGroupedBins\`, ` +
    `\`writeRecord\`, \`encodePage\`, \`writePairs\` and the string table) ${pct(encode)}.`
  );
}

/** Reads the median of a figure over the runs of a form. */
function medianOf(results: FormResults): (id: FormId, key: keyof WalResult) => number {
  return (id, key) => figure(pick(results[id], key)).median;
}

/**
 * What LevelDB's CPU costs per kilobyte, from the raw forms of busy and light pages (a line
 * through the two), and the next step it points to.
 */
function bytesNote(results: FormResults): string {
  const median = medianOf(results);
  const busyKb = (median('raw-pages', 'valueBytes') * BATCH_SIZE) / 1024;
  const lightKb = (median('raw-pages-light', 'valueBytes') * BATCH_SIZE) / 1024;
  const busyCpu = median('raw-pages', 'cpuMsPerBatch');
  const lightCpu = median('raw-pages-light', 'cpuMsPerBatch');
  const usPerKb = ((busyCpu - lightCpu) / (busyKb - lightKb)) * 1000;

  return (
    `Written raw, LevelDB's own CPU grows with the bytes: ${num(busyCpu)} ms a batch for ` +
    `the busy pages and ${num(lightCpu)} for the light ones, about ${num(usPerKb)} µs a ` +
    'kilobyte. Next, for one append at a time, whose encoding and write add up: less ' +
    'encoding on the main thread (each group of bins sums its counts to know their bitwise ' +
    'OR is exact, which bins carrying their largest count from the meter would skip) and ' +
    "fewer fixed bytes (a frame's u32 length, `t` and three durations as f64: about 55 of " +
    'each record).'
  );
}

function nextStep(results: FormResults, form: LogForm): (profile?: ProfileTop) => string {
  const median = medianOf(results);
  const rawId = form === 'log-light' ? 'raw-pages-light' : 'raw-pages';
  const log = median(form, 'recordsPerSecond');
  const raw = median(rawId, 'recordsPerSecond');
  const batchMs = (BATCH_SIZE / log) * 1000;
  const rawMs = (BATCH_SIZE / raw) * 1000;
  const disk =
    raw >= TARGET_RECORDS_PER_SECOND
      ? `the disk takes them at ${num(raw)} records/s written raw, so the rest is ours`
      : `written raw, with no encoding at all, the same pages reach only ${num(raw)} ` +
        'records/s in the same run: for records of this size the synced write itself is ' +
        'below the target on this disk';

  return (profile) =>
    `A record takes ${num(median(form, 'valueBytes'))} bytes in the log's pages (its ` +
    `sketch alone is ${num(median(form, 'sketchBytes'))} in wire form); ${disk}. ` +
    `Each batch of ${num(BATCH_SIZE)} takes ${num(batchMs)} ms through the log. Measured ` +
    `apart, so not parts that must add up: the same pages take ${num(rawMs)} ms a batch ` +
    `written raw, and \`encodePages\` ${num(median(form, 'encodeMsPerBatch'))} ms a batch ` +
    '(best of twenty passes after the timed appends, so compiled) on the main thread. The ' +
    'process used ' +
    `${num(median(form, 'cpuMsPerBatch'))} ms of CPU a batch on all its threads, and ` +
    `${num(median(rawId, 'cpuMsPerBatch'))} ms writing the same pages raw. One append at a ` +
    'time, the encoding and the synced write follow each other; with two appends in flight ' +
    'the next one encodes while the last one syncs, and busy records went in at ' +
    `${num(median('log-two', 'recordsPerSecond'))} records/s in the same run.` +
    `${profileNote(profile)} ${bytesNote(results)}`;
}

const KIND_OF: Record<LogForm, string> = {
  log: 'busy records, one append at a time',
  'log-two': 'busy records, two appends in flight',
  'log-light': 'light records, one append at a time',
};

const PROFILE_OF: Record<LogForm, string> = {
  log: 'wal-append',
  'log-two': 'wal-append-two',
  'log-light': 'wal-append-light',
};

function appendCheck(mode: BenchMode, results: FormResults, form: LogForm): TargetCheck {
  const log = figure(pick(results[form], 'recordsPerSecond'));
  const location = join(tmpdir(), 'tps-bench-wal-profile');
  const kind = KIND_OF[form];

  return {
    target: `the log appends ≥ 500,000 records/s with sync on, in batches (of 1,000, ${kind})`,
    measured: spread(log, 'records/s'),
    status: statusOf(log.median, log.median >= TARGET_RECORDS_PER_SECOND),
    profile: {
      name: PROFILE_OF[form],
      script: WORKER,
      kind: 'cpu',
      scope: 'scoped',
      config: configOf(form, location, mode.walBatches),
    },
    nextStep: nextStep(results, form),
  };
}

const methodOf = (
  mode: BenchMode,
): string => `Each form runs in a fresh process on a fresh directory (same disk as
the project), writes ${BATCH_SIZE}-record batches with \`sync: true\` after
${WAL_WARMUP_BATCHES} untimed ones (${mode.walBatches} timed), and reports records per second. The log appends real drafts: a
\`Meter\` fed 500 calls a second per series (${LIGHT_CALLS} for the light records)
with service-like latencies (log-normal around 12 ms, 1 % failures) and drained,
as the agent's flush does. The target is checked on both: busy records are what a
loaded series writes, light ones what a rate of half a million records a second is
made of in practice (that many series a second, each with a few calls). Each append is
awaited before the next is made, as the agent's flush appends; busy records are also appended
with two in flight (the next append made before the last one resolves, as a caller with
drafts waiting would), where the log encodes one while LevelDB syncs the other. The raw
forms write straight to classic-level: the log's own page values (encoded before
the clock starts, one entry per ${MAX_PAGE_RECORDS} records) show what the disk costs
for those bytes; one 13-byte value per record shows what one entry per record cost
(layouts 1 to 3); and the array form with an options object on every call is the
form that runs several times slower on classic-level 3, measured beside the chained form the log uses.`;

/** Section 3: the write-ahead log's append rate with sync on, and its start-up time. */
export async function walSection(mode: BenchMode): Promise<Section> {
  const appends = await measureAppends(mode);
  const startup = await measureStartup(mode);
  const recordBytes = figure(pick(appends.log, 'valueBytes')).median;
  const body = [methodOf(mode), appendTable(appends), startupMarkdown(startup, recordBytes)];

  return {
    title: '3. The write-ahead log',
    body: body.join('\n\n'),
    targets: (['log', 'log-two', 'log-light'] as const).map((form) =>
      appendCheck(mode, appends, form),
    ),
  };
}
