/**
 * The demo: a collector, a measured HTTP service and real HTTP load, all on loopback. It
 * prints each gateway's TPS every second as the collector reports it, then compares what the
 * load tool saw complete with what the collector counted. Exit status 0 only if they match.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureAgent } from '../src/index.js';
import { startCollector, type Collector } from '../src/collector/index.js';
import type { TpsAnswer } from '../src/protocol/types.js';
import { driveRoute, type RouteTally } from './demo/load.js';
import { ROUTES, startService } from './demo/service.js';

const LOAD_SECONDS = Number(process.env.DEMO_SECONDS ?? 15);
const RATES: Record<string, number> = { payments: 300, partner: 140, reports: 60 };

async function main(): Promise<number> {
  const workDir = await mkdtemp(join(tmpdir(), 'tps-demo-'));
  const collector = await startCollector({ port: 0, dataDir: join(workDir, 'collector') });
  const agent = configureAgent({
    dataDir: join(workDir, 'agent'),
    collectorUrl: collector.url,
    serverId: 'demo-server',
    transmissionIntervalSeconds: 1,
    flushIntervalMs: 250,
  });
  const service = await startService();
  console.log(`collector ${collector.url}   service ${service.url}   load ${LOAD_SECONDS} s\n`);

  const startedMs = Date.now();
  const tallies = new Map<string, RouteTally>(
    ROUTES.map((route) => [route.gateway, { completed: 0, failed: 0 }]),
  );
  const ticker = setInterval(() => void printLive(collector), 1000);
  try {
    await Promise.all(
      ROUTES.map((route) =>
        driveRoute(
          {
            url: service.url + route.path,
            method: route.method,
            ratePerSecond: RATES[route.gateway] ?? 50,
            durationSeconds: LOAD_SECONDS,
            connections: 8,
          },
          tallies.get(route.gateway)!,
        ),
      ),
    );
  } finally {
    clearInterval(ticker);
  }

  await service.app.close();
  await agent.close({ timeoutMs: 15_000 });
  const isEqual = await printSummary(collector, tallies, startedMs - 2000);
  console.log('\nagent stats:', JSON.stringify(agent.getStats()));
  await collector.close();
  await rm(workDir, { recursive: true, force: true });

  return isEqual ? 0 : 1;
}

async function queryTps(collector: Collector, gateway: string, fromMs: number, toMs = Date.now()) {
  const url = `${collector.url}/api/v1/tps?gateway=${gateway}&from=${fromMs}&to=${toMs}`;
  const response = await fetch(url);
  return (await response.json()) as TpsAnswer;
}

/**
 * Each gateway's figures for the second that ended two seconds ago: by then the agent has
 * flushed it (every 250 ms) and shipped it (every second), so the second is complete.
 */
async function printLive(collector: Collector): Promise<void> {
  const secondMs = Math.floor((Date.now() - 2000) / 1000) * 1000;
  const parts = await Promise.all(
    ROUTES.map(async ({ gateway }) => {
      const { points } = await queryTps(collector, gateway, secondMs, secondMs);
      const point = points[0];
      const tps = String(point?.count ?? 0).padStart(4);
      const errors = String(point?.errors ?? 0).padStart(3);
      return `${gateway} ${tps} tps ${errors} err p95 ${formatMs(point?.p95_ms ?? null)}`;
    }),
  );
  console.log(`${new Date(secondMs).toISOString().slice(11, 19)}  ${parts.join('  |  ')}`);
}

function formatMs(ms: number | null): string {
  if (ms === null) return '     -';
  // A route faster than a microsecond would round to "0 µs", which reads as no data.
  if (ms < 0.0005) return ' <1 µs';
  return ms < 1 ? `${(ms * 1000).toFixed(0).padStart(3)} µs` : `${ms.toFixed(1).padStart(3)} ms`;
}

async function printSummary(
  collector: Collector,
  tallies: Map<string, RouteTally>,
  fromMs: number,
): Promise<boolean> {
  const rows = await Promise.all(
    ROUTES.map(async ({ gateway, method, path }) => {
      const { total } = await queryTps(collector, gateway, fromMs);
      const seen = tallies.get(gateway)!;
      return {
        route: `${method} ${path}`,
        'load tool completed': seen.completed,
        'collector count': total.count,
        'load tool 5xx': seen.failed,
        'collector errors': total.errors,
        match: seen.completed === total.count && seen.failed === total.errors ? 'yes' : 'NO',
      };
    }),
  );
  console.log('');
  console.table(rows);
  const isEqual = rows.every((row) => row.match === 'yes');
  console.log(isEqual ? 'every call counted exactly once' : 'MISMATCH between load and collector');

  return isEqual;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
