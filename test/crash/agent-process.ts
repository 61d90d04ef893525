import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CrashChildOptions } from '../fixtures/crash-plan.js';

/** The compiled child agent. */
export const CRASH_AGENT = fileURLToPath(new URL('../fixtures/crash-agent.js', import.meta.url));

/** One burst as the child reported it. */
export interface BurstReport {
  size: number;
  /** Whether `await agent.flush()` of the burst returned before the child died. */
  isFlushed: boolean;
}

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The milestones a child reports on stdout, in the order it reaches them. */
export type Milestone = 'ready' | 'drained' | 'sweeping' | 'closed';

/**
 * One run of the child agent (`test/fixtures/crash-agent.ts`), read line by line: which
 * bursts it started and flushed, and which milestones it reached before it ended.
 */
export class AgentProcess {
  /** The node process. */
  readonly child: ChildProcess;
  /** Every burst the child started, by index. */
  readonly bursts = new Map<number, BurstReport>();
  /** The milestones the child reported. */
  readonly reached = new Set<Milestone>();
  /** Settles once the child has exited, however it ended. */
  readonly exited: Promise<ChildExit>;
  /** The agent's id, from the `ready` line; empty before it. */
  agentId = '';
  /** Records pending when the log opened, and when the agent closed after `stop`. */
  pendingAtReady = -1;
  pendingAtClose = -1;
  /** Everything the child wrote on stderr. */
  stderr = '';
  private readonly waiters: (() => void)[] = [];

  private constructor(options: CrashChildOptions) {
    this.child = spawn(process.execPath, [CRASH_AGENT, JSON.stringify(options)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TPS_LOG_LEVEL: '' },
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      this.wake();
      return { code, signal } as ChildExit;
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // A write to a child that just died fails with EPIPE; the exit says all there is to say.
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.read(line));
  }

  /** Starts the child with these options. */
  static start(options: CrashChildOptions): AgentProcess {
    return new AgentProcess(options);
  }

  /** The child's process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Whether the child has exited. */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends SIGKILL now (if the child still runs). */
  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  /**
   * Resolves true once the child reaches `milestone`, false if it exits first.
   *
   * @throws Error when neither happens within `timeoutMs`
   */
  async until(milestone: Milestone, timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => this.reached.has(milestone), milestone, timeoutMs);
  }

  /** Resolves true once burst `k` is flushed, false if the child exits first. */
  async untilFlushed(k: number, timeoutMs: number): Promise<boolean> {
    const check = (): boolean => this.bursts.get(k)?.isFlushed === true;

    return this.waitUntil(check, `flushed ${k}`, timeoutMs);
  }

  /** Asks the child to close its agent and exit; resolves with how it exited. */
  async stop(): Promise<ChildExit> {
    this.child.stdin!.write('stop\n');

    return this.exited;
  }

  private async waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.hasExited) return check();
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child ${this.pid} did not reach "${what}": ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }

    return true;
  }

  private read(line: string): void {
    const [word = '', first = '', second = ''] = line.split(' ');
    if (word === 'burst')
      this.bursts.set(Number(first), { size: Number(second), isFlushed: false });
    if (word === 'flushed') this.bursts.get(Number(first))!.isFlushed = true;
    if (word === 'ready') [this.agentId, this.pendingAtReady] = [first, Number(second)];
    if (word === 'closed') this.pendingAtClose = Number(first);
    if (['ready', 'drained', 'sweeping', 'closed'].includes(word)) {
      this.reached.add(word as Milestone);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
