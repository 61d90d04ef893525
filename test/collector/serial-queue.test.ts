import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerialQueue } from '../../src/collector/serial-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });

  return { promise, resolve };
}

describe('SerialQueue', () => {
  it('runs tasks one at a time, in the order they were added', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const gate = deferred();

    const first = queue.run(async () => {
      events.push('first start');
      await gate.promise;
      events.push('first end');
      return 1;
    });
    const second = queue.run(async () => {
      events.push('second');
      return 2;
    });
    await Promise.resolve();
    assert.equal(queue.pending, 2);
    gate.resolve();

    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(events, ['first start', 'first end', 'second']);
    assert.equal(queue.pending, 0);
  });

  it('rejects only the task that failed', async () => {
    const queue = new SerialQueue();

    const failed = queue.run(async () => {
      throw new Error('boom');
    });
    const next = queue.run(async () => 'still runs');

    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'still runs');
  });

  it('tells when every task added so far has settled', async () => {
    const queue = new SerialQueue();
    const gate = deferred();
    let isDone = false;
    void queue.run(async () => {
      await gate.promise;
      isDone = true;
    });
    void queue
      .run(async () => {
        throw new Error('ignored');
      })
      .catch(() => undefined);

    const idle = queue.onIdle();
    gate.resolve();
    await idle;

    assert.equal(isDone, true);
    assert.equal(queue.pending, 0);
  });
});
