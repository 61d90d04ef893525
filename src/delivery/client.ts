import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import fetch from 'node-fetch';
import { HttpStatusError, TpsError } from '../errors.js';
import { RETRY_AFTER_STATUSES, RetryAfterError, parseRetryAfterMs } from './retry-after.js';
import {
  BATCH_PATH,
  HEARTBEAT_PATH,
  type AgentHeartbeat,
  type BatchAck,
  type MetricBatch,
} from '../protocol/types.js';

/** Options of a {@link CollectorClient}. */
export interface CollectorClientOptions {
  /** Base URL of the collector, without a trailing slash. Required; no default. */
  collectorUrl: string;
  /** Milliseconds one request may take, connection and body included; > 0. Required. */
  requestTimeoutMs: number;
}

/** A request got no complete answer within `requestTimeoutMs`. Retried like a network error. */
export class RequestTimeoutError extends Error {
  /** The system-style code, as a network error carries one. */
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number, cause: unknown) {
    super(`the collector did not answer within ${timeoutMs} ms`, { cause });
    this.name = 'RequestTimeoutError';
  }
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
    this.connections = unrefAgent(this.baseUrl.startsWith('https:'), {
      keepAlive: true,
      maxSockets: 4,
    });
  }

  /**
   * Posts one batch of records.
   *
   * @returns The collector's acknowledgement, sent only once it stored the batch.
   * @throws {@link HttpStatusError} on a non-2xx answer ({@link RetryAfterError} for a 429 or
   *   503 with a valid `Retry-After`); `TpsError` `ERR_TPS_PROTOCOL` on an answer that is not an
   *   acknowledgement; {@link RequestTimeoutError} after `requestTimeoutMs`; node-fetch's
   *   `AbortError` when `signal` aborts; the network error on a failed request.
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

  /**
   * Destroys the idle keep-alive connections, so that the next request opens a fresh one. After
   * a reset on a reused connection (the collector restarted, say), the others in the pool are
   * likely dead too. Requests in flight keep their connections.
   */
  dropIdleConnections(): void {
    for (const sockets of Object.values(this.connections.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** Closes the idle connections. */
  close(): void {
    this.connections.destroy();
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    try {
      return await this.postOnce(path, body, signal ? AbortSignal.any([timeout, signal]) : timeout);
    } catch (error) {
      // node-fetch throws the same AbortError for both signals; the sender must tell a slow
      // collector (retried, counted by the breaker) from its own stop (neither).
      if (timeout.aborted && !signal?.aborted) {
        throw new RequestTimeoutError(this.requestTimeoutMs, error);
      }
      throw error;
    }
  }

  private async postOnce(path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    // node-fetch 3 given a signal that is already aborted emits an 'error' event nobody can
    // listen to, which would crash the host; so an aborted request never reaches it.
    signal.throwIfAborted();
    const response = await fetch(this.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      agent: this.connections,
      signal,
      size: MAX_ANSWER_BYTES,
    });
    const text = await response.text();
    if (!response.ok) throw statusError(response.status, text, response.headers.get('retry-after'));

    return parseAnswer(text);
  }
}

/** The largest answer read; an ack is a few kilobytes, and a larger body is not ours. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A keep-alive agent whose sockets never hold the process open, in use or idle: the agent's
 * own requests must not keep a host alive that has finished its work. While the agent closes,
 * its ref'd deadline timer keeps the process up until the last send settles.
 */
function unrefAgent(isHttps: boolean, options: AgentOptions): HttpAgent {
  const Base = isHttps ? HttpsAgent : HttpAgent;
  class UnrefAgent extends Base {
    override createConnection(...args: Parameters<HttpAgent['createConnection']>): Socket {
      const socket = super.createConnection(...args) as Socket;
      socket.unref();
      return socket;
    }

    // Node refs a socket when it reuses it for a request; this agent's stay unref'd.
    override reuseSocket(...args: Parameters<HttpAgent['reuseSocket']>): void {
      super.reuseSocket(...args);
      (args[0] as Socket).unref();
    }
  }

  return new UnrefAgent(options);
}

function parseAnswer(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TpsError(
      'ERR_TPS_PROTOCOL',
      'the collector answered 2xx with a body that is not JSON',
      {
        cause: error,
      },
    );
  }
}

function statusError(status: number, body: string, retryAfter: string | null): HttpStatusError {
  const detail = errorText(body);
  const retryAfterMs = RETRY_AFTER_STATUSES.includes(status)
    ? parseRetryAfterMs(retryAfter, Date.now())
    : undefined;

  return retryAfterMs === undefined
    ? new HttpStatusError(status, detail)
    : new RetryAfterError(status, detail, retryAfterMs);
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
