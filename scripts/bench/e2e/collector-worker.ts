/**
 * A real collector in its own process, so that the agent under test does not share its event
 * loop. It sends its URL once listening, and closes cleanly on SIGTERM.
 */
import { pino } from 'pino';
import { startCollector } from '../../../src/collector/index.js';
import { readConfig, send } from '../worker-io.js';

/** What the harness asks of this worker. */
export interface CollectorConfig {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  /** File the collector logs its errors to, so that a failed query can be explained. */
  errorLogPath: string;
}

/** The first message of this worker. */
export interface CollectorReady {
  url: string;
  port: number;
}

const config = readConfig<CollectorConfig>();
// Synchronous: a line must be on disk before the harness, told of a failure, reads the file.
const logger = pino(
  { level: 'error' },
  pino.destination({ dest: config.errorLogPath, sync: true }),
);
const collector = await startCollector({ port: config.port, dataDir: config.dataDir, logger });
send({ url: collector.url, port: collector.port } satisfies CollectorReady);
process.once('SIGTERM', () => {
  void collector.close().then(() => process.exit(0));
});
