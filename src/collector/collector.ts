import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import { AgentRegistry } from './agents.js';
import { Ingestor } from './ingest.js';
import { resolveCollectorOptions, type CollectorOptions } from './options.js';
import { MarkerPruner, pruneIntervalMs } from './prune.js';
import { buildServer } from './server.js';
import { Store } from './store.js';

function urlOf(host: string, port: number): string {
  const bracketed = host.includes(':') ? `[${host}]` : host;

  return `http://${bracketed}:${port}`;
}

/** A running collector: its HTTP server and its database. Made by {@link startCollector}. */
export class Collector implements AsyncDisposable {
  /** The port it listens on: the one picked by the system when the options said 0. */
  readonly port: number;
  /** Base URL of the HTTP API, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Absolute path of the database directory. */
  readonly dataDir: string;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link startCollector}. */
  constructor(
    private readonly app: FastifyInstance,
    private readonly store: Store,
    private readonly ingestor: Ingestor,
    private readonly pruner: MarkerPruner,
    private readonly logger: Logger,
    host: string,
  ) {
    this.port = (app.server.address() as AddressInfo).port;
    this.url = urlOf(host, this.port);
    this.dataDir = store.location;
  }

  /**
   * Stops listening, lets requests in flight finish (each batch is stored and answered), then
   * closes the database. A second call warns and returns the first call's promise.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) {
      this.logger.warn('close() called again; the collector is already closing');

      return this.closing;
    }
    this.closing = this.shutdown();

    return this.closing;
  }

  /**
   * Deletes the applied markers older than `dedupeWindowMs` now, as the background does every
   * quarter of the window (at most every hour); joins a pass that is running already.
   *
   * @returns how many markers were deleted
   * @throws TpsError `ERR_TPS_STORAGE` when the database fails
   */
  pruneMarkers(): Promise<number> {
    return this.pruner.prune();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    await this.app.close();
    await this.pruner.stop();
    // Requests are answered only after their batch is stored, so this is already idle; the
    // wait guards against a batch whose client went away before the answer.
    await this.ingestor.onIdle();
    await this.store.close();
    this.logger.info({ url: this.url }, 'collector closed');
  }
}

/**
 * Opens the database and starts the HTTP server of the collector.
 *
 * @returns the running collector once it listens
 * @throws ConfigError when an option is out of range
 * @throws TpsError `ERR_TPS_STORAGE` when the data directory cannot be opened (for example,
 *   another collector holds its lock)
 * @throws the listen error (such as `EADDRINUSE`) when the port cannot be bound
 * @example
 * const collector = await startCollector({ port: 0, dataDir: '/var/lib/tps' });
 * console.log(collector.url);
 * await collector.close();
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const resolved = resolveCollectorOptions(options);
  const { logger, now, bodyLimitBytes, onBatchApplied } = resolved;
  const store = await Store.open(resolved.dataDir);
  const ingestor = new Ingestor(store, logger, now);
  const agents = new AgentRegistry(store, now);
  const pruner = new MarkerPruner({ store, logger, now, windowMs: resolved.dedupeWindowMs });
  const app = buildServer({ store, ingestor, agents, now, logger, bodyLimitBytes, onBatchApplied });

  try {
    await app.listen({ port: resolved.port, host: resolved.host });
  } catch (error) {
    await app.close();
    await store.close();
    throw error;
  }

  pruner.start(pruneIntervalMs(resolved.dedupeWindowMs));
  const collector = new Collector(app, store, ingestor, pruner, logger, resolved.host);
  logger.info({ url: collector.url, dataDir: resolved.dataDir }, 'collector listening');

  return collector;
}
