import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CircuitState } from 'cockatiel';
import { Destination } from '../../src/delivery/destination.js';
import {
  CollectorClient,
  createBreaker,
  resolveSendPolicyOptions,
  type SendPolicyOptions,
} from '../../src/delivery/index.js';
import { sendWithRetries, sleep, type RetryContext } from '../../src/delivery/retry.js';
import { RetryAfterError } from '../../src/delivery/retry-after.js';
import { waitFor } from '../helpers/collector.js';
import { startScriptedCollector, type ScriptedCollector } from '../helpers/scripted-collector.js';
import { capturingLogger, delay, keepProcessAlive } from './support.js';

const batch = { agent_id: 'a', server_id: 's', records: [] };

describe('sendWithRetries', () => {
  let server: ScriptedCollector;
  let release: () => void;
  const contexts: RetryContext[] = [];
  before(() => {
    release = keepProcessAlive();
  });
  beforeEach(async () => {
    await server?.close();
    server = await startScriptedCollector();
  });
  after(async () => {
    for (const context of contexts) {
      context.destination.close();
      context.client.close();
    }
    await server.close();
    release();
  });

  function makeContext(options: SendPolicyOptions = {}): RetryContext {
    const policy = resolveSendPolicyOptions({ maxRetries: 0, ...options });
    const { logger } = capturingLogger();
    const context = {
      client: new CollectorClient({ collectorUrl: server.url, requestTimeoutMs: 2000 }),
      breaker: createBreaker(policy),
      destination: new Destination({ ...policy, logger, onWake: () => undefined }),
      options: policy,
      logger,
    };
    contexts.push(context);
    return context;
  }

  it('gives a half-open probe no quick retry after a reset', async () => {
    server.handle(() => 'reset');
    const context = makeContext({ breakAfterFailures: 1, halfOpenAfterMs: 50 });

    const first = await sendWithRetries(context, batch, new AbortController().signal);
    assert.equal(first.kind, 'failed');
    assert.equal(server.requests.length, 2, 'the attempt and its quick retry');
    assert.equal(context.breaker.state, CircuitState.Open);

    await delay(80);
    const probe = await sendWithRetries(context, batch, new AbortController().signal);

    assert.equal(probe.kind, 'failed');
    assert.equal(server.requests.length, 3, 'the probe alone');
  });

  it('holds a batch without a request while the destination is paused', async () => {
    const context = makeContext();
    context.destination.pause(60_000, new RetryAfterError(429, '', 60_000));

    const outcome = await sendWithRetries(context, batch, new AbortController().signal);

    assert.deepEqual(outcome, { kind: 'held', reason: 'paused' });
    assert.equal(server.requests.length, 0);
  });

  it('pauses the destination on Retry-After and spends no retry on it', async () => {
    server.handle(() => ({ status: 429, body: {}, headers: { 'retry-after': '30' } }));
    const context = makeContext({ maxRetries: 5 });

    const outcome = await sendWithRetries(context, batch, new AbortController().signal);

    assert.deepEqual(outcome, { kind: 'held', reason: 'paused' });
    assert.equal(server.requests.length, 1);
    assert.ok((context.destination.pausedUntilMs ?? 0) > Date.now() + 25_000);
  });

  it('retries a 429 without Retry-After with backoff', async () => {
    server.handle(() => ({ status: 429, body: { status: 'error', error: 'busy' } }));
    const context = makeContext({ maxRetries: 2, initialDelayMs: 5, maxDelayMs: 10 });

    const outcome = await sendWithRetries(context, batch, new AbortController().signal);

    assert.equal(outcome.kind, 'failed');
    assert.equal(server.requests.length, 3);
  });

  it('ends a backoff sleep at once when the signal aborts', async () => {
    server.handle(() => ({ status: 500, body: {} }));
    const context = makeContext({ maxRetries: 3, initialDelayMs: 20_000, maxDelayMs: 20_000 });
    const stop = new AbortController();

    const sending = sendWithRetries(context, batch, stop.signal);
    await waitFor(() => server.requests.length === 1);
    await delay(50);
    const abortedAtMs = Date.now();
    stop.abort();

    assert.deepEqual(await sending, { kind: 'held', reason: 'aborted' });
    assert.ok(Date.now() - abortedAtMs < 500);
    assert.equal(server.requests.length, 1);
  });

  it('does not count an aborted request towards the breaker', async () => {
    server.handle(() => 'hang');
    const context = makeContext({ breakAfterFailures: 1 });

    const outcome = await sendWithRetries(context, batch, AbortSignal.timeout(100));

    assert.deepEqual(outcome, { kind: 'held', reason: 'aborted' });
    assert.equal(context.breaker.state, CircuitState.Closed);
  });
});

describe('sleep', () => {
  it('resolves after the delay, or at once on abort', async () => {
    const release = keepProcessAlive();
    const startedMs = Date.now();
    await sleep(30, new AbortController().signal);
    assert.ok(Date.now() - startedMs >= 25);

    const stop = new AbortController();
    const sleeping = sleep(60_000, stop.signal);
    stop.abort();
    await sleeping;
    await sleep(60_000, stop.signal);
    release();
  });
});
