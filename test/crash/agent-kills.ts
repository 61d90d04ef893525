import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import {
  startCollector,
  type BatchAppliedEvent,
  type Collector,
} from '../../src/collector/index.js';
import { BATCH_PATH } from '../../src/protocol/types.js';
import { seededRandom, type CrashChildOptions } from '../fixtures/crash-plan.js';
import { AgentProcess, type BurstReport } from './agent-process.js';
import { AGENT_KILL_KINDS, killKinds, planRun, type AgentKillKind, type RunPlan } from './plan.js';
import { verifyRun, type RunOutcome } from './verify.js';

/** Options of {@link runAgentKills}. */
export interface AgentKillOptions {
  /** Runs to SIGKILL; a last run is then closed cleanly. */
  kills: number;
  seed: number;
  /** A fresh directory; the agent's and the collector's data dirs go under it. */
  workDir: string;
  /** The agent's `batchSize`. @default 3 */
  batchSize?: number;
  /** The agent's `senderConcurrency`. @default 1 */
  senderConcurrency?: number;
  /** Longest time one run may take to die. @default 30000 */
  runTimeoutMs?: number;
  /** Told one line per run. */
  onProgress?: (line: string) => void;
}

/** What a series of kills came to. */
export interface AgentKillSummary {
  kills: Record<AgentKillKind, number>;
  /** Runs started, the clean last one included. */
  runs: number;
  flushedBursts: number;
  flushedCalls: number;
  /** Bursts whose flush had not returned at the kill: delivered whole, or lost whole. */
  openBursts: { delivered: number; lost: number };
  lostCalls: number;
  /** Batches the collector stored, and records it acknowledged as duplicates (resent). */
  batches: number;
  duplicateRecords: number;
  elapsedMs: number;
  /** Every broken rule; empty when delivery was exact. */
  failures: string[];
}

const REQUEST_START = 'http.server.request.start';

/** Runs an agent in a child process, SIGKILLs it `kills` times and checks every count. */
export async function runAgentKills(options: AgentKillOptions): Promise<AgentKillSummary> {
  const harness = new AgentKillHarness(options);
  await harness.start();
  try {
    return await harness.run();
  } finally {
    await harness.stop();
  }
}

class AgentKillHarness {
  private readonly options: AgentKillOptions;
  private readonly random: () => number;
  private readonly startedMs = Date.now();
  private readonly summary: AgentKillSummary;
  /** Runs whose data dir has not been drained by a later run yet. */
  private readonly unverified = new Map<number, ReadonlyMap<number, BurstReport>>();
  private collector: Collector | undefined;
  private current: { process: AgentProcess; plan: RunPlan; batches: number } | undefined;

  constructor(options: AgentKillOptions) {
    this.options = options;
    this.random = seededRandom(options.seed);
    const kills = Object.fromEntries(AGENT_KILL_KINDS.map((kind) => [kind, 0]));
    this.summary = {
      kills: kills as Record<AgentKillKind, number>,
      runs: 0,
      flushedBursts: 0,
      flushedCalls: 0,
      openBursts: { delivered: 0, lost: 0 },
      lostCalls: 0,
      batches: 0,
      duplicateRecords: 0,
      elapsedMs: 0,
      failures: [],
    };
  }

  async start(): Promise<void> {
    this.collector = await startCollector({
      port: 0,
      host: '127.0.0.1',
      dataDir: join(this.options.workDir, 'collector'),
      onBatchApplied: (event) => this.onBatchApplied(event),
    });
    diagnostics.subscribe(REQUEST_START, this.onRequestStart);
  }

  async stop(): Promise<void> {
    diagnostics.unsubscribe(REQUEST_START, this.onRequestStart);
    this.current?.process.kill();
    await this.collector?.close();
  }

  async run(): Promise<AgentKillSummary> {
    const kinds = killKinds(this.options.kills, this.random);
    for (const [run, kind] of kinds.entries()) {
      await this.killedRun(run, planRun(kind, this.random));
    }
    await this.cleanRun(kinds.length);
    this.summary.elapsedMs = Date.now() - this.startedMs;

    return this.summary;
  }

  private spawn(run: number, plan: RunPlan | undefined, maxBursts?: number): AgentProcess {
    const childOptions: CrashChildOptions = {
      dataDir: join(this.options.workDir, 'agent'),
      collectorUrl: this.collector!.url,
      run,
      seed: this.options.seed,
      batchSize: this.options.batchSize ?? 3,
      senderConcurrency: this.options.senderConcurrency,
      kill: plan?.selfKill,
      maxBursts,
    };
    const child = AgentProcess.start(childOptions);
    this.summary.runs += 1;
    if (plan !== undefined) this.current = { process: child, plan, batches: 0 };

    return child;
  }

  private async killedRun(run: number, plan: RunPlan): Promise<void> {
    const child = this.spawn(run, plan);
    const runTimeoutMs = this.options.runTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      this.fail(`run ${run} (${plan.kind}) did not die within ${runTimeoutMs} ms`);
      child.kill();
    }, runTimeoutMs);
    if (plan.kind === 'random') void this.killAfterDelay(child, plan);

    const exit = await child.exited;
    clearTimeout(timer);
    this.current = undefined;
    if (exit.signal !== 'SIGKILL') {
      this.fail(
        `run ${run} (${plan.kind}) exited with ${exit.code ?? exit.signal}: ${child.stderr}`,
      );
    }
    if (plan.kind === 'sweep' && !child.reached.has('sweeping')) {
      this.fail(`run ${run} was to die in a retention sweep, but no sweep of the log started`);
    }
    this.summary.kills[plan.kind] += 1;
    await this.afterRun(run, child);
    this.progress(run, plan, child);
  }

  private async killAfterDelay(child: AgentProcess, plan: RunPlan): Promise<void> {
    if (plan.isAfterReady && !(await child.until('ready', 60_000))) return;
    await sleep(plan.delayMs);
    child.kill();
  }

  /** Once a run drained what the runs before it left, their counts are final: check them. */
  private async afterRun(run: number, child: AgentProcess): Promise<void> {
    if (child.reached.has('drained')) {
      for (const [earlier, bursts] of this.unverified) {
        this.record(await verifyRun(this.collector!.url, this.options.seed, earlier, bursts));
      }
      this.unverified.clear();
    }
    this.unverified.set(run, child.bursts);
  }

  private async cleanRun(run: number): Promise<void> {
    const child = this.spawn(run, undefined, 3);
    const isDone = (await child.until('drained', 60_000)) && (await child.untilFlushed(2, 30_000));
    const exit = isDone ? await child.stop() : await child.exited;
    if (exit.code !== 0)
      this.fail(`the clean run exited with ${exit.code ?? exit.signal}: ${child.stderr}`);
    if (child.pendingAtClose !== 0)
      this.fail(`${child.pendingAtClose} records pending after close`);

    await this.afterRun(run, child);
    this.record(await verifyRun(this.collector!.url, this.options.seed, run, child.bursts));
  }

  private record(outcome: RunOutcome): void {
    this.summary.flushedBursts += outcome.flushedBursts;
    this.summary.flushedCalls += outcome.flushedCalls;
    this.summary.failures.push(...outcome.failures);
    const open = outcome.open;
    if (open === undefined) return;
    if (open.counted === open.size) this.summary.openBursts.delivered += 1;
    if (open.counted === 0) {
      this.summary.openBursts.lost += 1;
      this.summary.lostCalls += open.size;
    }
  }

  private readonly onRequestStart = (message: unknown): void => {
    const request = (message as { request: IncomingMessage }).request;
    const current = this.current;
    if (current?.plan.kind !== 'send' || !current.plan.isServerSide) return;
    if (request.method !== 'POST') return;
    if (!request.url?.startsWith(BATCH_PATH)) return;
    current.batches += 1;
    if (current.batches === current.plan.nthBatch)
      void this.killForSend(current.process, current.plan);
  };

  private async killForSend(child: AgentProcess, plan: RunPlan): Promise<void> {
    if (plan.sendDelay === 'next turn') await nextTurn();
    if (typeof plan.sendDelay === 'number') await sleep(plan.sendDelay);
    child.kill();
  }

  private async onBatchApplied(event: BatchAppliedEvent): Promise<void> {
    this.summary.batches += 1;
    this.summary.duplicateRecords += event.ack.duplicate_count;
    const current = this.current;
    if (current?.plan.kind !== 'applied') return;
    current.batches += 1;
    if (current.batches !== current.plan.nthBatch) return;

    // The answer waits until the agent is gone: it was applied here and never deleted there.
    current.process.kill();
    await current.process.exited;
  }

  private fail(text: string): void {
    this.summary.failures.push(text);
  }

  private progress(run: number, plan: RunPlan, child: AgentProcess): void {
    const bursts = [...child.bursts.values()];
    const flushed = bursts.filter((burst) => burst.isFlushed).length;
    const where = child.reached.has('drained') ? 'bursts' : child.agentId ? 'open' : 'start';
    const side =
      plan.kind === 'send' ? (plan.isServerSide ? ' (server side)' : ' (client side)') : '';
    this.options.onProgress?.(
      `run ${run}: ${plan.kind}${side} kill in ${where}, ${bursts.length} bursts, ${flushed} flushed`,
    );
  }
}
