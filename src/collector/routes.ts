import type { FastifyInstance } from 'fastify';
import {
  AGENTS_PATH,
  BATCH_PATH,
  HEALTH_PATH,
  HEARTBEAT_PATH,
  TPS_PATH,
  type AgentHeartbeat,
  type LegacyHeartbeat,
  type LegacyMetricBatch,
  type MetricBatch,
} from '../protocol/types.js';
import { batchBodySchema, heartbeatBodySchema, tpsQuerySchema } from '../protocol/schemas.js';
import type { AgentRegistry } from './agents.js';
import type { Ingestor } from './ingest.js';
import type { BatchAppliedEvent } from './options.js';
import { queryTps, resolveTpsQuery, type TpsQueryString } from './queries.js';
import type { Store } from './store.js';

/** What the route handlers work with. */
export interface RouteContext {
  store: Store;
  ingestor: Ingestor;
  agents: AgentRegistry;
  now: () => number;
  /** The test hook of `CollectorOptions.onBatchApplied`. */
  onBatchApplied?: ((event: BatchAppliedEvent) => void | Promise<void>) | undefined;
}

/** Registers the collector's five routes on `app`. */
export function registerRoutes(app: FastifyInstance, context: RouteContext): void {
  const { store, ingestor, agents, now, onBatchApplied } = context;

  app.post<{ Body: MetricBatch | LegacyMetricBatch }>(
    BATCH_PATH,
    { schema: { body: batchBodySchema } },
    // The answer waits for the synced write: an agent may forget a batch once it has the ack.
    async (request) => {
      const body = request.body;
      if ('metrics' in body) {
        return ingestor.applyLegacyBatch(body);
      }
      const ack = await ingestor.applyBatch(body);
      await onBatchApplied?.({ agentId: body.agent_id, serverId: body.server_id, ack });

      return ack;
    },
  );

  app.post<{ Body: AgentHeartbeat | LegacyHeartbeat }>(
    HEARTBEAT_PATH,
    { schema: { body: heartbeatBodySchema } },
    async (request) => {
      await agents.record(request.body);

      return { status: 'success' };
    },
  );

  app.get(HEALTH_PATH, async () => ({ status: 'healthy' }));

  app.get<{ Querystring: TpsQueryString }>(
    TPS_PATH,
    { schema: { querystring: tpsQuerySchema } },
    async (request) => queryTps(store, resolveTpsQuery(request.query, now())),
  );

  app.get(AGENTS_PATH, async () => agents.list());
}
