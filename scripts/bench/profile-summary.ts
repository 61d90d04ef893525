import { readFile } from 'node:fs/promises';

/** A frame of a CPU or sampled-heap profile, as V8 writes it. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  selfSize?: number;
  children?: (number | ProfileNode)[];
}

/** One line of a profile's top: a function and its share of self time or bytes. */
export interface ProfileEntry {
  name: string;
  share: number;
}

/** A profile taken for a missed target, and what its top shows. */
export interface ProfileSummary {
  path: string;
  kind: 'cpu' | 'heap';
  top: ProfileEntry[];
  /** Shares of the whole by where the code lives: ours, the clock, GC, libraries, Node. */
  byOrigin: ProfileEntry[];
  /**
   * For a CPU profile, the share of samples in which the main thread was idle, such as waiting
   * for LevelDB's synced write on its own thread; the shares above are of the rest.
   */
  idleShare: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
  const where = file === '' ? '' : ` ${file.replace(/^build\//, '')}:${lineNumber + 1}`;

  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

const CLOCK = 'clock (`performance.now`, with its argument checks)';

function isClockFrame(node: ProfileNode): boolean {
  const { url, functionName } = node.callFrame;

  return functionName === 'now' || url.includes('perf_hooks') || url.includes('/perf/');
}

// The clock gets its own origin: on the hot path its cost is the floor, not ours to cut. Node
// internals it calls (validating `this`), and those our clock adapter calls to reach it (the
// lazy getter behind the global `performance`), count as the clock too.
function originOf(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (isClockFrame(node)) return CLOCK;
  if (url.startsWith('node:') || url === '') {
    for (let up = parents.get(node.id); up !== undefined; up = parents.get(up.id)) {
      if (isClockFrame(up) || up.callFrame.url.endsWith('/src/clock.js')) return CLOCK;
      if (up.callFrame.url !== '' && !up.callFrame.url.startsWith('node:')) break;
    }
  }
  if (url.includes('/src/')) return 'tps-agent (`src/`)';
  if (url.includes('node_modules/'))
    return `library ${url.split('node_modules/')[1]?.split('/')[0]}`;
  if (url.includes('/scripts/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return 'Node internals';

  return functionName.startsWith('(') ? functionName : 'V8 builtins and native';
}

/** Flattens a sampled-heap profile's tree into the list form a CPU profile already has. */
function flatten(node: ProfileNode, out: ProfileNode[] = []): ProfileNode[] {
  out.push(node);
  for (const child of node.children ?? []) if (typeof child !== 'number') flatten(child, out);

  return out;
}

/** Each node's parent, from either form of children (ids in a CPU profile, nodes in a heap one). */
function parentsOf(nodes: readonly ProfileNode[]): Map<number, ProfileNode> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parents = new Map<number, ProfileNode>();
  for (const node of nodes) {
    for (const child of node.children ?? []) {
      const id = typeof child === 'number' ? child : child.id;
      if (byId.has(id)) parents.set(id, node);
    }
  }

  return parents;
}

function shares(nodes: ProfileNode[], keyOf: (node: ProfileNode) => string): ProfileEntry[] {
  const weights = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const weight = node.hitCount ?? node.selfSize ?? 0;
    if (weight === 0 || node.callFrame.functionName === '(idle)') continue;
    weights.set(keyOf(node), (weights.get(keyOf(node)) ?? 0) + weight);
    total += weight;
  }

  return [...weights]
    .map(([name, weight]) => ({ name, share: weight / total }))
    .sort((a, b) => b.share - a.share);
}

/** Reads a `.cpuprofile` or `.heapprofile` and sums self time (or bytes) per function. */
export async function summarizeProfile(
  path: string,
  kind: 'cpu' | 'heap',
): Promise<ProfileSummary> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as {
    nodes?: ProfileNode[];
    head?: ProfileNode;
  };
  const nodes = kind === 'cpu' ? (raw.nodes ?? []) : flatten(raw.head as ProfileNode);
  const parents = parentsOf(nodes);

  const idle = nodes
    .filter((node) => node.callFrame.functionName === '(idle)')
    .reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const all = nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);

  return {
    path,
    kind,
    top: shares(nodes, frameName).slice(0, 10),
    byOrigin: shares(nodes, (node) => originOf(node, parents)),
    idleShare: all === 0 ? 0 : idle / all,
  };
}
