/**
 * The crash harness of `test/crash/` at length: SIGKILLs an agent `--kills` times (200 by
 * default) at random and chosen moments, then the collector `--collector-kills` times, and
 * checks that every flushed call is counted exactly once. Prints a summary; exits 0 only when
 * delivery was exact. See docs/crash-testing.md.
 *
 *   npm run build:all && node build/scripts/crash.js --kills 200 --seed 7
 */
import { parseArgs } from 'node:util';
import { runAgentKills, type AgentKillSummary } from '../test/crash/agent-kills.js';
import { runCollectorKills, type CollectorKillSummary } from '../test/crash/collector-kills.js';
import { makeTempDir, removeDir } from '../test/helpers/temp-dir.js';

interface CrashArgs {
  kills: number;
  collectorKills: number;
  seed: number;
  senderConcurrency: number;
  isVerbose: boolean;
  keepDir: boolean;
}

const USAGE = `usage: node build/scripts/crash.js [--kills N] [--collector-kills M] [--seed S]
  [--sender-concurrency C] [--verbose] [--keep]

  --kills N               agent SIGKILLs (default 200)
  --collector-kills M     collector SIGKILLs (default 20; 0 skips them)
  --seed S                seed of every random choice (default: from the clock, printed)
  --sender-concurrency C  the agent's senderConcurrency (default 1)
  --verbose               one line per kill
  --keep                  keep the data dirs, and print where they are`;

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new Error(`--${name} must be a whole number, got "${text}"`);

  return Number(text);
}

function readArgs(argv: string[]): CrashArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      kills: { type: 'string' },
      'collector-kills': { type: 'string' },
      seed: { type: 'string' },
      'sender-concurrency': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }

  return {
    kills: wholeNumber('kills', values.kills, 200),
    collectorKills: wholeNumber('collector-kills', values['collector-kills'], 20),
    seed: wholeNumber('seed', values.seed, Date.now() % 1_000_000_000),
    senderConcurrency: wholeNumber('sender-concurrency', values['sender-concurrency'], 1),
    isVerbose: values.verbose,
    keepDir: values.keep,
  };
}

function printAgentSummary(summary: AgentKillSummary): void {
  const kinds = Object.entries(summary.kills).map(([kind, n]) => `${kind} ${n}`);
  console.log(`agent kills: ${kinds.join(', ')} (${summary.runs} runs)`);
  console.log(`  flushed: ${summary.flushedBursts} bursts, ${summary.flushedCalls} calls`);
  const { delivered, lost } = summary.openBursts;
  console.log(
    `  open flush windows at a kill: ${delivered} delivered whole, ${lost} lost whole ` +
      `(${summary.lostCalls} calls)`,
  );
  console.log(
    `  collector: ${summary.batches} batches stored, ${summary.duplicateRecords} resent ` +
      `records acknowledged as duplicates`,
  );
  console.log(`  took ${(summary.elapsedMs / 1000).toFixed(1)} s`);
}

function printCollectorSummary(summary: CollectorKillSummary): void {
  console.log(`collector kills: ${summary.kills}`);
  console.log(`  flushed: ${summary.bursts} bursts, ${summary.calls} calls`);
  console.log(
    `  drained ${(summary.drainMs / 1000).toFixed(1)} s after the last restart; ` +
      `${summary.failedSends} sends failed and were retried`,
  );
  console.log(`  took ${(summary.elapsedMs / 1000).toFixed(1)} s`);
}

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  const workDir = await makeTempDir('tps-crash-');
  const onProgress = args.isVerbose ? (line: string) => console.log(line) : undefined;
  console.log(
    `seed ${args.seed}, ${args.kills} agent kills, ${args.collectorKills} collector kills`,
  );
  const failures: string[] = [];
  try {
    const agentKills = await runAgentKills({
      kills: args.kills,
      seed: args.seed,
      workDir: `${workDir}/agent-kills`,
      senderConcurrency: args.senderConcurrency,
      onProgress,
    });
    printAgentSummary(agentKills);
    failures.push(...agentKills.failures);
    if (args.collectorKills > 0) {
      const collectorKills = await runCollectorKills({
        kills: args.collectorKills,
        seed: args.seed,
        workDir: `${workDir}/collector-kills`,
        onProgress,
      });
      printCollectorSummary(collectorKills);
      failures.push(...collectorKills.failures);
    }
  } finally {
    if (args.keepDir) console.log(`data dirs kept in ${workDir}`);
    else await removeDir(workDir);
  }

  for (const failure of failures) console.log(`FAIL ${failure}`);
  console.log(failures.length === 0 ? 'exact: every flushed call counted once' : 'NOT EXACT');

  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`crash: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
