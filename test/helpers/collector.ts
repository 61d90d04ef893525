import { join } from 'node:path';
import { after, before } from 'node:test';
import { startCollector, type Collector } from '../../src/collector/index.js';
import type { AgentsAnswer, TpsAnswer } from '../../src/protocol/types.js';
import { makeTempDir, removeDir } from './temp-dir.js';

/** A real collector on a free loopback port, with its own temp data dir. */
export interface TestCollector {
  collector: Collector;
  url: string;
  dataDir: string;
  /** Totals and points of one gateway over the last hour. */
  tps(gateway: string, query?: Record<string, string>): Promise<TpsAnswer>;
  agents(): Promise<AgentsAnswer>;
  /** Closes the collector and removes its data. */
  dispose(): Promise<void>;
}

/** Starts a collector for one test. */
export async function startTestCollector(dataDir?: string): Promise<TestCollector> {
  const dir = dataDir ?? join(await makeTempDir('tps-collector-'), 'data');
  const collector = await startCollector({ port: 0, host: '127.0.0.1', dataDir: dir });

  return {
    collector,
    url: collector.url,
    dataDir: dir,
    async tps(gateway, query = {}) {
      const params = new URLSearchParams({ gateway, ...query });
      const response = await fetch(`${collector.url}/api/v1/tps?${params}`);
      return (await response.json()) as TpsAnswer;
    },
    async agents() {
      const response = await fetch(`${collector.url}/api/v1/agents`);
      return (await response.json()) as AgentsAnswer;
    },
    async dispose() {
      await collector.close();
      if (dataDir === undefined) await removeDir(join(dir, '..'));
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What {@link useCollectorAndWorkDir} sets up; read its fields inside tests. */
export interface CollectorAndWorkDir {
  collector: TestCollector;
  workDir: string;
}

/**
 * Starts a real collector and makes a temp work dir before the suite's tests, and removes both
 * after them. Call it at the top of a `describe`.
 */
export function useCollectorAndWorkDir(prefix: string): CollectorAndWorkDir {
  const context = {} as CollectorAndWorkDir;
  before(async () => {
    context.collector = await startTestCollector();
    context.workDir = await makeTempDir(prefix);
  });
  after(async () => {
    await context.collector.dispose();
    await removeDir(context.workDir);
  });

  return context;
}
