import { randomInt, type SelfKill } from '../fixtures/crash-plan.js';

/**
 * Where a run of the child agent is killed:
 * - `random`: after a random delay, from the start of the process or from its `ready` line;
 * - `flush`: by itself, while `agent.flush()` of a burst runs;
 * - `send`: as the agent creates a batch request (by itself, before a byte is sent), or as the
 *   collector starts to receive one (by the parent, on the server's request start);
 * - `applied`: after the collector stored one of its batches, before the answer is sent;
 * - `sweep`: by itself, while a retention sweep of its log runs (the one at start).
 */
export type AgentKillKind = 'random' | 'flush' | 'send' | 'applied' | 'sweep';

/** Every kind, in the order summaries list them. */
export const AGENT_KILL_KINDS: readonly AgentKillKind[] = [
  'random',
  'flush',
  'send',
  'applied',
  'sweep',
];

/** When, after the moment a `send` kill is due, the parent sends SIGKILL. */
export type SendKillDelay = 'at once' | 'next turn' | number;

/** How one run dies. */
export interface RunPlan {
  kind: AgentKillKind;
  /** `random`: milliseconds before the kill. */
  delayMs: number;
  /** `random`: whether the delay counts from the `ready` line instead of the spawn. */
  isAfterReady: boolean;
  /** `send` and `applied`: the batch, counted from the run's start, whose moment kills. */
  nthBatch: number;
  /** `send`: whether the parent kills as the collector receives, not the child as it sends. */
  isServerSide: boolean;
  /** `send` on the server side: the delay after the request started. */
  sendDelay: SendKillDelay;
  /** `flush` and `sweep`: what the child is told. */
  selfKill: SelfKill | undefined;
}

/** One of every kind but `random`, which gets two shares, for each six kills. */
const CYCLE: readonly AgentKillKind[] = ['random', 'flush', 'send', 'applied', 'sweep', 'random'];

/** The kinds of `kills` runs: each targeted kind at least `floor(kills / 6)` times, shuffled. */
export function killKinds(kills: number, random: () => number): AgentKillKind[] {
  const kinds = Array.from({ length: kills }, (_, i) => CYCLE[i % CYCLE.length]!);
  for (let i = kinds.length - 1; i > 0; i -= 1) {
    const j = randomInt(random, 0, i);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }

  return kinds;
}

function sendDelay(random: () => number): SendKillDelay {
  const pick = randomInt(random, 0, 3);
  if (pick === 0) return 'at once';
  if (pick === 1) return 'next turn';

  return randomInt(random, 1, 5);
}

function selfKill(
  kind: AgentKillKind,
  isServerSide: boolean,
  nthBatch: number,
  random: () => number,
): SelfKill | undefined {
  if (kind === 'send' && !isServerSide) return { at: 'send', nthBatch };
  if (kind === 'flush')
    return { at: 'flush', burst: randomInt(random, 0, 4), turns: randomInt(random, 0, 2) };
  if (kind === 'sweep') return { at: 'sweep', turns: randomInt(random, 0, 3) };

  return undefined;
}

/** Draws the details of one run that dies by `kind`. */
export function planRun(kind: AgentKillKind, random: () => number): RunPlan {
  const isAfterReady = random() < 0.6;
  const isServerSide = random() < 0.5;
  const nthBatch = randomInt(random, 1, 3);

  return {
    kind,
    isAfterReady,
    delayMs: isAfterReady ? randomInt(random, 0, 400) : randomInt(random, 0, 900),
    nthBatch,
    isServerSide,
    sendDelay: sendDelay(random),
    selfKill: selfKill(kind, isServerSide, nthBatch, random),
  };
}
