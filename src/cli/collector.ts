#!/usr/bin/env node
/**
 * `tps-collector`: runs the collector until SIGINT or SIGTERM. Logs go to stdout as pino JSON
 * at `info` (or `TPS_LOG_LEVEL`); the URL it listens on is printed as a plain line.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUPE_WINDOW_MS,
  DEFAULT_HOST,
  DEFAULT_PORT,
  startCollector,
  type Collector,
} from '../collector/index.js';

interface CliOptions {
  port: number;
  host: string;
  dataDir: string;
  dedupeWindowMs: number;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port > 65_535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535.');
  }

  return port;
}

function parseMilliseconds(text: string): number {
  const ms = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError('must be a whole number of milliseconds.');
  }

  return ms;
}

function buildProgram(): Command {
  return new Command()
    .name('tps-collector')
    .description('Receive TPS agents’ batches and heartbeats, store them and answer queries.')
    .option('--port <number>', 'TCP port to listen on; 0 picks a free one', parsePort, DEFAULT_PORT)
    .option('--host <host>', 'host name or address to listen on', DEFAULT_HOST)
    .option('--data-dir <dir>', 'directory of the LevelDB database', DEFAULT_DATA_DIR)
    .option(
      '--dedupe-window-ms <ms>',
      'how long a record is recognised when resent; older applied markers are pruned',
      parseMilliseconds,
      DEFAULT_DEDUPE_WINDOW_MS,
    )
    .addHelpText(
      'after',
      '\nLogs go to stdout as JSON; TPS_LOG_LEVEL sets the level (default info).\n' +
        'Stop it with SIGINT (Ctrl-C) or SIGTERM: it finishes requests in flight first.',
    );
}

/**
 * Closes the collector on SIGINT or SIGTERM. Installed before the collector starts, so that a
 * signal during startup (or right after the URL is printed) still closes it cleanly.
 */
function stopOnSignals(started: Promise<Collector>, logger: pino.Logger): void {
  let isStopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (isStopping) {
      logger.warn({ signal }, 'second signal; exiting without waiting');
      process.exit(1);
    }
    isStopping = true;
    logger.info({ signal }, 'stopping');
    started
      .then((collector) => collector.close())
      .then(
        () => {
          process.exitCode = 0;
        },
        (error: unknown) => {
          logger.error({ err: error }, 'close failed');
          process.exitCode = 1;
        },
      );
  };

  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const options = buildProgram().parse(argv).opts<CliOptions>();
  const logger = pino({ level: process.env.TPS_LOG_LEVEL?.trim() || 'info' });

  const started = startCollector({ ...options, logger });
  stopOnSignals(started, logger);

  const collector = await started;
  console.log(`tps-collector listening on ${collector.url}`);
}

main(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`tps-collector: ${message}`);
  process.exitCode = 1;
});
