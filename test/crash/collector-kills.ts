import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAgent, measureTps, type Agent } from '../../src/index.js';
import { burstSize, randomInt, seededRandom } from '../fixtures/crash-plan.js';
import { CollectorProcess, freePort } from './collector-process.js';
import { countCalls, type TimeRange } from './verify.js';

/** The gateway of the calls made while the collector is killed. */
export const COLLECTOR_KILL_GATEWAY = 'collector-kills';

/** Options of {@link runCollectorKills}. */
export interface CollectorKillOptions {
  kills: number;
  seed: number;
  /** A fresh directory; the agent's and the collector's data dirs go under it. */
  workDir: string;
  /** Longest wait for the agent to deliver everything after the last restart. @default 60000 */
  drainTimeoutMs?: number;
  /** Told one line per kill. */
  onProgress?: (line: string) => void;
}

/** What a series of collector kills came to. */
export interface CollectorKillSummary {
  kills: number;
  bursts: number;
  calls: number;
  /** Milliseconds from the last restart until the agent had nothing pending. */
  drainMs: number;
  /** Sends the agent gave up on (each retried later). */
  failedSends: number;
  elapsedMs: number;
  failures: string[];
}

/** One burst made in this process: its calls and when they were made, give or take a second. */
interface Burst extends TimeRange {
  size: number;
}

/** Endpoint of burst `k`. */
function endpointOf(k: number): string {
  return `burst${k}`;
}

/**
 * Makes calls in bursts, each flushed, until `isDone()`; every burst is then durable in the
 * agent's log and must reach the collector exactly once.
 */
async function makeLoad(
  agent: Agent,
  seed: number,
  bursts: Map<number, Burst>,
  isDone: () => boolean,
): Promise<void> {
  const random = seededRandom(seed + 1);
  for (let k = 0; !isDone(); k += 1) {
    const size = burstSize(seed, -1, k);
    const call = measureTps({ gateway: COLLECTOR_KILL_GATEWAY, endpoint: endpointOf(k), agent })(
      () => k,
    );
    const fromMs = Date.now() - 2000;
    for (let i = 0; i < size; i += 1) call();
    await agent.flush();
    bursts.set(k, { size, fromMs, toMs: Date.now() + 2000 });
    await sleep(randomInt(random, 1, 10));
  }
}

/**
 * Runs the collector CLI in a child on one port, SIGKILLs it `kills` times at random moments
 * while an agent in this process ships bursts, restarts it on the same port and data dir each
 * time, and checks that every burst is counted exactly once in the end.
 */
export async function runCollectorKills(
  options: CollectorKillOptions,
): Promise<CollectorKillSummary> {
  const harness = await CollectorKillHarness.start(options);
  try {
    for (let kill = 1; kill <= options.kills; kill += 1) await harness.killAndRestart(kill);

    return await harness.finish();
  } finally {
    await harness.stop();
  }
}

class CollectorKillHarness {
  private readonly startedMs = Date.now();
  private readonly random: () => number;
  private readonly bursts = new Map<number, Burst>();
  private readonly failures: string[] = [];
  private readonly load: Promise<void>;
  private isLoadDone = false;

  private constructor(
    private readonly options: CollectorKillOptions,
    private readonly port: number,
    private collector: CollectorProcess,
    private readonly agent: Agent,
  ) {
    this.random = seededRandom(options.seed);
    this.load = makeLoad(agent, options.seed, this.bursts, () => this.isLoadDone);
  }

  static async start(options: CollectorKillOptions): Promise<CollectorKillHarness> {
    const port = await freePort();
    const collector = await CollectorProcess.start(port, join(options.workDir, 'collector'));
    const agent = createAgent(join(options.workDir, 'agent'), {
      collectorUrl: collector.url,
      serverId: 'collector-kills',
      flushIntervalMs: 60_000,
      transmissionIntervalSeconds: 0.05,
      batchSize: 3,
      heartbeatIntervalSeconds: 3600,
      requestTimeoutMs: 2000,
    });

    return new CollectorKillHarness(options, port, collector, agent);
  }

  async killAndRestart(kill: number): Promise<void> {
    const upMs = randomInt(this.random, 50, 600);
    await sleep(upMs);
    const exit = await this.collector.kill();
    const killedMs = Date.now();
    if (exit.signal !== 'SIGKILL') {
      this.failures.push(`the collector ended by ${exit.code}: ${this.collector.stderr}`);
    }
    await sleep(randomInt(this.random, 0, 300));
    this.collector = await CollectorProcess.start(
      this.port,
      join(this.options.workDir, 'collector'),
    );
    const downMs = Date.now() - killedMs;

    this.failures.push(...(await checkNoExcess(this.collector.url, this.bursts)));
    this.options.onProgress?.(
      `collector kill ${kill}: up ${upMs} ms, down ${downMs} ms; ` +
        `${this.bursts.size} bursts flushed so far`,
    );
  }

  /** Stops the load, waits until the agent delivered everything and checks every burst. */
  async finish(): Promise<CollectorKillSummary> {
    this.isLoadDone = true;
    await this.load;
    const drainStartedMs = Date.now();
    await waitUntilDelivered(this.agent, this.options.drainTimeoutMs ?? 60_000, this.failures);
    const drainMs = Date.now() - drainStartedMs;
    this.failures.push(...(await checkExact(this.collector.url, this.bursts)));

    return {
      kills: this.options.kills,
      bursts: this.bursts.size,
      calls: sumOf(this.bursts),
      drainMs,
      failedSends: this.agent.getStats().sender.failedSends,
      elapsedMs: Date.now() - this.startedMs,
      failures: this.failures,
    };
  }

  async stop(): Promise<void> {
    this.isLoadDone = true;
    await this.load.catch(() => undefined);
    await this.agent.close({ timeoutMs: 2000 });
    const exit = await this.collector.stop();
    if (exit.code !== 0)
      this.failures.push(`the collector stopped with ${exit.code ?? exit.signal}`);
  }
}

async function waitUntilDelivered(
  agent: Agent,
  timeoutMs: number,
  failures: string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (agent.getStats().localMetricsCount > 0) {
    if (Date.now() > deadline) {
      const stats = agent.getStats();
      failures.push(
        `${stats.localMetricsCount} records still pending after ${timeoutMs} ms: ${JSON.stringify(stats.sender)}`,
      );
      return;
    }
    await sleep(20);
  }
}

/** While delivery goes on, the collector may lag, but never count more than was flushed. */
function sumOf(bursts: Map<number, Burst>): number {
  return [...bursts.values()].reduce((sum, burst) => sum + burst.size, 0);
}

async function checkNoExcess(url: string, bursts: Map<number, Burst>): Promise<string[]> {
  const counted = await countCalls(url, COLLECTOR_KILL_GATEWAY);
  // Summed after the count: a burst is in `bursts` a microtask after its flush, before any of
  // its records can have been sent.
  const flushed = sumOf(bursts);

  return counted > flushed ? [`the collector counts ${counted} calls of ${flushed} flushed`] : [];
}

/** Once delivery is done, every burst counts exactly its size. */
async function checkExact(url: string, bursts: Map<number, Burst>): Promise<string[]> {
  const failures: string[] = [];
  for (const [k, burst] of bursts) {
    const counted = await countCalls(url, COLLECTOR_KILL_GATEWAY, endpointOf(k), burst);
    if (counted !== burst.size)
      failures.push(`burst ${k} of ${burst.size} calls counted ${counted}`);
  }
  const total = sumOf(bursts);
  const counted = await countCalls(url, COLLECTOR_KILL_GATEWAY);
  if (counted !== total) failures.push(`the collector counts ${counted} calls, ${total} were made`);

  return failures;
}
