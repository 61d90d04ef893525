/**
 * Soak: an agent in this process under steady load ships to the collector CLI in a child; the
 * collector is SIGKILLed for an outage, its port taken by a listener that counts the agent's
 * knocks and drops them, then it comes back. Every ~10 s it prints the agent's heap and RSS,
 * its data dir's size on disk, what is pending and the probes so far. At the end everything is
 * flushed and delivered, and the calls made are compared with the collector's count: exit 0
 * only when nothing was lost (or counted twice). See docs/crash-testing.md.
 *
 *   npm run build:all && node build/scripts/soak.js --outage-seconds 180 --rate 2000 --series 20
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createAgent, type Agent } from '../src/index.js';
import { CollectorProcess, freePort } from '../test/crash/collector-process.js';
import { countCalls } from '../test/crash/verify.js';
import { makeTempDir, removeDir } from '../test/helpers/temp-dir.js';
import { LoadGenerator, SOAK_GATEWAY } from './soak/load.js';
import { ProbeListener, type ProbeCounts } from './soak/probe-listener.js';
import { mib, raisePeaks, sample, type Peaks } from './soak/sample.js';

interface SoakArgs {
  outageSeconds: number;
  ratePerSecond: number;
  series: number;
  beforeSeconds: number;
  afterSeconds: number;
  reportSeconds: number;
  drainTimeoutSeconds: number;
  keepDir: boolean;
}

const USAGE = `usage: node build/scripts/soak.js [--outage-seconds S] [--rate N] [--series N]
  [--before-seconds S] [--after-seconds S] [--report-seconds S] [--drain-timeout-seconds S] [--keep]

  --outage-seconds S         how long the collector is down (default 180)
  --rate N                   calls a second (default 2000)
  --series N                 endpoints the calls are spread over (default 20)
  --before-seconds S         load before the outage (default 30)
  --after-seconds S          load after the collector is back (default 60)
  --report-seconds S         seconds between report lines (default 10)
  --drain-timeout-seconds S  longest wait for the last records at the end (default 120)
  --keep                     keep the data dirs, and print where they are`;

const NUMBER_OPTIONS = {
  'outage-seconds': 180,
  rate: 2000,
  series: 20,
  'before-seconds': 30,
  'after-seconds': 60,
  'report-seconds': 10,
  'drain-timeout-seconds': 120,
} as const;

function readArgs(argv: string[]): SoakArgs {
  const numberOptions = Object.fromEntries(
    Object.keys(NUMBER_OPTIONS).map((name) => [name, { type: 'string' as const }]),
  );
  const { values } = parseArgs({
    args: argv,
    options: { ...numberOptions, keep: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const read = (name: keyof typeof NUMBER_OPTIONS): number => {
    const text = (values as Record<string, string | boolean | undefined>)[name];
    const value = typeof text === 'string' ? Number(text) : NUMBER_OPTIONS[name];
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number > 0`);
    return value;
  };

  return {
    outageSeconds: read('outage-seconds'),
    ratePerSecond: read('rate'),
    series: Math.round(read('series')),
    beforeSeconds: read('before-seconds'),
    afterSeconds: read('after-seconds'),
    reportSeconds: read('report-seconds'),
    drainTimeoutSeconds: read('drain-timeout-seconds'),
    keepDir: values.keep === true,
  };
}

/** What the report lines need to know, updated as the soak goes. */
interface SoakState {
  phase: string;
  startedMs: number;
  probes: ProbeCounts | undefined;
  peaks: Peaks;
}

function probeText(probes: ProbeCounts | undefined): string {
  if (probes === undefined) return 'probes -';
  const { connections, batches, heartbeats } = probes;

  return `probes ${connections} (batches ${batches}, heartbeats ${heartbeats})`;
}

async function report(agent: Agent, dataDir: string, load: LoadGenerator, state: SoakState) {
  const now = await sample(agent, dataDir);
  raisePeaks(state.peaks, now);
  const seconds = Math.round((Date.now() - state.startedMs) / 1000);
  console.log(
    `${String(seconds).padStart(5)} s ${state.phase.padEnd(7)} calls ${load.made}` +
      ` heap ${mib(now.heapUsedBytes)} rss ${mib(now.rssBytes)} disk ${mib(now.diskBytes)}` +
      ` pending ${now.pending} sender ${now.senderState} ${probeText(state.probes)}`,
  );
}

/** Waits until nothing is pending; resolves with the milliseconds it took, or -1 at timeout. */
async function drain(agent: Agent, timeoutMs: number): Promise<number> {
  const startedMs = Date.now();
  await agent.flush();
  while (agent.getStats().localMetricsCount > 0) {
    if (Date.now() - startedMs > timeoutMs) return -1;
    await sleep(100);
  }

  return Date.now() - startedMs;
}

/** Milliseconds from now until the agent's next acknowledged batch, or -1 at timeout. */
async function untilDelivery(agent: Agent, timeoutMs: number): Promise<number> {
  const startedMs = Date.now();
  const before = agent.getStats().lastTransmission;
  while (agent.getStats().lastTransmission === before) {
    if (Date.now() - startedMs > timeoutMs) return -1;
    await sleep(50);
  }

  return Date.now() - startedMs;
}

/** Holds the collector's port for the outage with a listener that counts and drops probes. */
async function outage(port: number, seconds: number, state: SoakState): Promise<void> {
  state.phase = 'outage';
  const probes = await ProbeListener.listen(port);
  state.probes = probes.counts;
  await sleep(seconds * 1000);
  await probes.close();
}

async function soak(args: SoakArgs, workDir: string): Promise<boolean> {
  const port = await freePort();
  const collectorDir = join(workDir, 'collector');
  const agentDir = join(workDir, 'agent');
  let collector = await CollectorProcess.start(port, collectorDir);
  const agent = createAgent(agentDir, { collectorUrl: collector.url, serverId: 'soak' });
  const load = new LoadGenerator(agent, args.ratePerSecond, args.series);
  const peaks = { heapUsedBytes: 0, rssBytes: 0, diskBytes: 0, pending: 0 };
  const state: SoakState = { phase: 'before', startedMs: Date.now(), probes: undefined, peaks };
  const tick = (): void => void report(agent, agentDir, load, state);
  const reporter = setInterval(tick, args.reportSeconds * 1000);
  load.start();
  try {
    await sleep(args.beforeSeconds * 1000);
    await collector.kill();
    await outage(port, args.outageSeconds, state);

    state.phase = 'after';
    collector = await CollectorProcess.start(port, collectorDir);
    const firstDeliveryMs = await untilDelivery(agent, args.drainTimeoutSeconds * 1000);
    console.log(`collector back; first batch acknowledged after ${firstDeliveryMs} ms`);
    await sleep(Math.max(0, args.afterSeconds * 1000 - firstDeliveryMs));

    state.phase = 'drain';
    load.stop();
    const drainMs = await drain(agent, args.drainTimeoutSeconds * 1000);
    await report(agent, agentDir, load, state);
    return await verdict(agent, collector.url, load.made, drainMs, state);
  } finally {
    clearInterval(reporter);
    load.stop();
    await agent.close({ timeoutMs: 5000 });
    await collector.stop();
  }
}

async function verdict(
  agent: Agent,
  collectorUrl: string,
  made: number,
  drainMs: number,
  state: SoakState,
): Promise<boolean> {
  const counted = await countCalls(collectorUrl, SOAK_GATEWAY);
  const stats = agent.getStats();
  const { peaks } = state;
  console.log(
    `peaks: heap ${mib(peaks.heapUsedBytes)}, rss ${mib(peaks.rssBytes)}, ` +
      `disk ${mib(peaks.diskBytes)}, pending ${peaks.pending}`,
  );
  console.log(`outage: ${probeText(state.probes)}`);
  console.log(`dropped by the agent: ${JSON.stringify(stats.droppedMetrics)}`);
  console.log(drainMs < 0 ? 'drain: TIMED OUT' : `drain: everything delivered in ${drainMs} ms`);
  console.log(`calls made ${made}, counted ${counted}, lost ${made - counted}`);
  const isExact = drainMs >= 0 && counted === made;
  console.log(isExact ? 'nothing lost' : counted > made ? 'COUNTED TWICE' : 'LOST');

  return isExact;
}

async function main(): Promise<number> {
  const args = readArgs(process.argv.slice(2));
  const workDir = await makeTempDir('tps-soak-');
  console.log(
    `soak: ${args.ratePerSecond} calls/s over ${args.series} series; ${args.beforeSeconds} s, ` +
      `then the collector down for ${args.outageSeconds} s, then ${args.afterSeconds} s`,
  );
  try {
    return (await soak(args, workDir)) ? 0 : 1;
  } finally {
    if (args.keepDir) console.log(`data dirs kept in ${workDir}`);
    else await removeDir(workDir);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(2);
  },
);
