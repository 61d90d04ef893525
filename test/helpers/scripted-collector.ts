import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BatchAck, MetricBatch } from '../../src/protocol/types.js';

/**
 * A small real `node:http` server that answers as each test scripts it. It stands in for the
 * collector only where a healthy collector cannot misbehave on demand: 429 and 503 with
 * `Retry-After`, 400, 401 and 403, connection resets, hangs, and acks that name only some
 * records. Everything else is tested against the real collector (`startTestCollector`).
 */

/** One request as the scripted server received it. */
export interface ScriptedRequest {
  path: string;
  /** The parsed JSON body; undefined when it was not JSON. */
  body: unknown;
  /** Which request this is on its connection: 1 for the first. */
  requestOnConnection: number;
  /** When it arrived, `Date.now()`. */
  atMs: number;
}

/** How to answer one request. */
export type ScriptedAnswer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Reset the connection (RST) instead of answering. */
  | 'reset'
  /** Never answer; the connection is dropped when the server closes. */
  | 'hang';

/** Decides the answer to each request. */
export type ScriptedHandler = (request: ScriptedRequest) => ScriptedAnswer;

/** A running scripted server. */
export interface ScriptedCollector {
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  readonly requests: ScriptedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Requests being answered now (received, not yet answered). */
  readonly inFlight: number;
  /** The most requests that were in flight at once. */
  readonly maxInFlight: number;
  /** Replaces the handler. */
  handle(handler: ScriptedHandler): void;
  /** The batch requests received, in arrival order. */
  batches(): MetricBatch[];
  close(): Promise<void>;
}

/** An ack of every record of `body` as applied now, as a current collector sends it. */
export function ackAll(body: unknown): { status: number; body: BatchAck } {
  const seqs = ((body as MetricBatch | undefined)?.records ?? []).map((record) => record.seq);

  return {
    status: 200,
    body: {
      status: 'success',
      received_count: seqs.length,
      applied_count: seqs.length,
      duplicate_count: 0,
      applied_seqs: seqs,
      duplicate_seqs: [],
    },
  };
}

/** Starts a scripted server on a free loopback port; it acks everything until told otherwise. */
export async function startScriptedCollector(
  handler: ScriptedHandler = (request) => ackAll(request.body),
): Promise<ScriptedCollector> {
  const state = { handler, connections: 0, inFlight: 0, maxInFlight: 0 };
  const requests: ScriptedRequest[] = [];
  const server = createServer((request, response) => {
    readBody(request, (text) => {
      const received = receive(request, text);
      requests.push(received);
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      respond(response, state.handler(received), () => (state.inFlight -= 1));
    });
  });
  server.on('connection', (socket: Socket & { requestCount?: number }) => {
    state.connections += 1;
    socket.requestCount = 0;
  });
  const port = await listen(server);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return state.connections;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    handle(next) {
      state.handler = next;
    },
    batches() {
      return requests.filter((r) => r.path.endsWith('/batch')).map((r) => r.body as MetricBatch);
    },
    close: () => close(server),
  };
}

function readBody(request: IncomingMessage, done: (text: string) => void): void {
  let text = '';
  request.on('data', (chunk: Buffer) => (text += chunk.toString()));
  request.on('end', () => done(text));
}

function receive(request: IncomingMessage, text: string): ScriptedRequest {
  const socket = request.socket as Socket & { requestCount?: number };
  socket.requestCount = (socket.requestCount ?? 0) + 1;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }

  return {
    path: request.url ?? '',
    body,
    requestOnConnection: socket.requestCount,
    atMs: Date.now(),
  };
}

function respond(response: ServerResponse, answer: ScriptedAnswer, done: () => void): void {
  if (answer === 'hang') return;
  if (answer === 'reset') {
    done();
    response.socket?.resetAndDestroy();
    return;
  }

  setTimeout(() => {
    done();
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(text);
  }, answer.delayMs ?? 0);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
