import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationGate } from '../../src/wal/gate.js';

function gate(): OperationGate {
  return new OperationGate(() => new Error('gate is closed'));
}

/** A promise with its resolve function, to hold a task open from the test. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));

  return { promise, resolve };
}

describe('OperationGate', () => {
  it('runs writes one at a time in call order', async () => {
    const g = gate();
    const events: string[] = [];
    const hold = deferred();

    const first = g.write(async () => {
      events.push('first start');
      await hold.promise;
      events.push('first end');
    });
    const second = g.write(async () => {
      events.push('second');
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['first start']);

    hold.resolve();
    await Promise.all([first, second]);

    assert.deepEqual(events, ['first start', 'first end', 'second']);
  });

  it('starts the next write before the caller of the last one resumes', async () => {
    const g = gate();
    const events: string[] = [];

    const first = g.write(async () => {
      await new Promise((r) => setImmediate(r));
      events.push('first end');
    });
    const resumed = first.then(() => events.push('caller of first resumes'));
    const second = g.write(async () => {
      events.push('second start');
    });
    await Promise.all([resumed, second]);

    assert.deepEqual(events, ['first end', 'second start', 'caller of first resumes']);
  });

  it('starts a write at once when idle, and turns a throw into a rejection', async () => {
    const g = gate();
    let started = false;
    const write = g.write(async () => {
      started = true;
    });
    assert.equal(started, true);
    await write;

    const thrown = g.write((() => {
      throw new Error('thrown before any await');
    }) as () => Promise<void>);
    await assert.rejects(thrown, /thrown before any await/);
    assert.equal(await g.write(async () => 'next'), 'next');
  });

  it('goes on with later writes after one fails', async () => {
    const g = gate();

    const failed = g.write(async () => {
      throw new Error('disk full');
    });
    const next = g.write(async () => 'ran');

    await assert.rejects(failed, /disk full/);
    assert.equal(await next, 'ran');
  });

  it('runs reads beside a write in progress', async () => {
    const g = gate();
    const hold = deferred();

    const write = g.write(() => hold.promise);
    assert.equal(await g.read(async () => 'read'), 'read');

    hold.resolve();
    await write;
  });

  it('waits on close for the writes and reads already admitted', async () => {
    const g = gate();
    const holdWrite = deferred();
    const holdRead = deferred();
    let closed = false;

    const write = g.write(() => holdWrite.promise);
    const read = g.read(() => holdRead.promise);
    const closing = g.close().then(() => (closed = true));

    holdWrite.resolve();
    await write;
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'still waiting for the read');

    holdRead.resolve();
    await Promise.all([read, closing]);
    assert.equal(closed, true);
  });

  it('closes even when an admitted operation fails', async () => {
    const g = gate();
    const failed = g.read(async () => {
      throw new Error('read failed');
    });

    await g.close();
    await assert.rejects(failed, /read failed/);
  });

  it('refuses operations once closed', async () => {
    const g = gate();

    const closing = g.close();

    assert.equal(g.isClosed, true);
    await assert.rejects(
      g.write(async () => 1),
      /gate is closed/,
    );
    await assert.rejects(
      g.read(async () => 1),
      /gate is closed/,
    );
    await closing;
  });
});
