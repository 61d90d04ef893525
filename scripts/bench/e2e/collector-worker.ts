/**
 * A real collector in its own process, so that the agent under test does not share its event
 * loop. It sends its URL once listening, and closes cleanly on SIGTERM.
 */
import { startCollector } from '../../../src/collector/index.js';
import { readConfig, send } from '../worker-io.js';

/** What the harness asks of this worker. */
export interface CollectorConfig {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
}

/** The first message of this worker. */
export interface CollectorReady {
  url: string;
  port: number;
}

const config = readConfig<CollectorConfig>();
const collector = await startCollector({ port: config.port, dataDir: config.dataDir });
send({ url: collector.url, port: collector.port } satisfies CollectorReady);
process.once('SIGTERM', () => {
  void collector.close().then(() => process.exit(0));
});
