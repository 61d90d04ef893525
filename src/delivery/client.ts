import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import fetch from 'node-fetch';
import { HttpStatusError, TpsError } from '../errors.js';
import {
  BATCH_PATH,
  HEARTBEAT_PATH,
  type AgentHeartbeat,
  type BatchAck,
  type MetricBatch,
} from '../protocol/types.js';

/** Options of a {@link CollectorClient}. */
export interface CollectorClientOptions {
  /** Base URL of the collector, without a trailing slash. */
  collectorUrl: string;
  /** Milliseconds one request may take, connection included. */
  requestTimeoutMs: number;
}

/**
 * Posts batches and heartbeats to the collector over keep-alive connections. It does not
 * retry: the sender's policies decide that.
 */
export class CollectorClient {
  private readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly connections: HttpAgent;

  constructor(options: CollectorClientOptions) {
    this.baseUrl = options.collectorUrl;
    this.requestTimeoutMs = options.requestTimeoutMs;
    const isHttps = this.baseUrl.startsWith('https:');
    // Idle keep-alive sockets are unref'd by node's agent, so they never hold the process open.
    this.connections = isHttps
      ? new HttpsAgent({ keepAlive: true, maxSockets: 4 })
      : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  }

  /**
   * Posts one batch of records.
   *
   * @returns The collector's acknowledgement, sent only once it stored the batch.
   * @throws {@link HttpStatusError} on a non-2xx answer; `TpsError` `ERR_TPS_PROTOCOL` on an
   *   answer that is not an acknowledgement; the network error on a failed request.
   */
  async postBatch(batch: MetricBatch, signal?: AbortSignal): Promise<BatchAck> {
    const answer = await this.post(BATCH_PATH, batch, signal);
    if (!isBatchAck(answer)) {
      throw new TpsError('ERR_TPS_PROTOCOL', 'the collector answered a batch without an ack');
    }

    return answer;
  }

  /** Posts one heartbeat. Throws as {@link postBatch} does. */
  async postHeartbeat(heartbeat: AgentHeartbeat, signal?: AbortSignal): Promise<void> {
    await this.post(HEARTBEAT_PATH, heartbeat, signal);
  }

  /** Closes the idle connections. */
  close(): void {
    this.connections.destroy();
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const response = await fetch(this.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      agent: this.connections,
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const text = await response.text();
    if (!response.ok) throw new HttpStatusError(response.status, errorText(text));

    return text === '' ? {} : (JSON.parse(text) as unknown);
  }
}

function isBatchAck(value: unknown): value is BatchAck {
  const ack = value as Partial<BatchAck> | null;
  return ack !== null && ack.status === 'success' && typeof ack.received_count === 'number';
}

/** The collector's `error` field when the body has one, else the body cut short. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON: a proxy's page, say. Its start is still the best clue.
  }
  return body.slice(0, 200);
}
