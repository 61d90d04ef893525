import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { LAYOUT_KEY, LAYOUT_VERSION } from '../../src/collector/keys.js';
import { Store } from '../../src/collector/store.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

describe('Store', () => {
  let dir: string;

  before(async () => {
    dir = await makeTempDir('tps-collector-store-');
  });

  after(async () => {
    await removeDir(dir);
  });

  it('writes the layout version into a new database', async () => {
    const store = await Store.open(`${dir}/fresh`);
    try {
      assert.deepEqual(await store.getMany([LAYOUT_KEY]), [LAYOUT_VERSION]);
      assert.equal(store.location, `${dir}/fresh`);
    } finally {
      await store.close();
    }
  });

  it('reads back what it wrote, missing keys as undefined', async () => {
    const store = await Store.open(`${dir}/rw`);
    try {
      await store.write([
        { key: 'x\u0000b', value: { n: 2 } },
        { key: 'x\u0000a', value: [1] },
      ]);

      assert.deepEqual(await store.getMany(['x\u0000a', 'nope', 'x\u0000b']), [
        [1],
        undefined,
        { n: 2 },
      ]);
      assert.deepEqual(await store.getMany([]), []);
      await store.write([]);
    } finally {
      await store.close();
    }
  });

  it('starts a range after a key and stops at a limit', async () => {
    const store = await Store.open(`${dir}/after`);
    try {
      await store.write(['r1', 'r2', 'r3', 'r4'].map((key) => ({ key, value: key })));

      const keys: string[] = [];
      for await (const [key] of store.entries({ gt: 'r1', lt: 'r9', limit: 2 })) keys.push(key);

      assert.deepEqual(keys, ['r2', 'r3']);
    } finally {
      await store.close();
    }
  });

  it('deletes keys in one batch, and does nothing for none', async () => {
    const store = await Store.open(`${dir}/delete`);
    try {
      await store.write(['d1', 'd2', 'd3'].map((key) => ({ key, value: 1 })));

      await store.delete(['d1', 'd3', 'missing']);
      await store.delete([]);

      assert.deepEqual(await store.getMany(['d1', 'd2', 'd3']), [undefined, 1, undefined]);
    } finally {
      await store.close();
    }
  });

  it('yields a range in key order, upper bound excluded', async () => {
    const store = await Store.open(`${dir}/range`);
    try {
      await store.write(['r3', 'r1', 'r2', 'r4', 'q9'].map((key) => ({ key, value: key })));

      const keys: string[] = [];
      for await (const [key] of store.entries({ gte: 'r1', lt: 'r4' })) keys.push(key);

      assert.deepEqual(keys, ['r1', 'r2', 'r3']);
    } finally {
      await store.close();
    }
  });

  it('refuses a database of another key layout and releases it', async () => {
    const location = `${dir}/other-layout`;
    const raw = new ClassicLevel<string, unknown>(location, { valueEncoding: 'json' });
    await raw.put(LAYOUT_KEY, 99);
    await raw.close();

    await assert.rejects(Store.open(location), {
      code: 'ERR_TPS_STORAGE',
      message: `${location} holds key layout 99; this collector reads ${LAYOUT_VERSION}`,
    });
    const again = new ClassicLevel(location);
    await again.open();
    await again.close();
  });

  it('wraps failures after close as storage errors with their cause', async () => {
    const store = await Store.open(`${dir}/closed`);
    await store.close();

    for (const attempt of [
      () => store.getMany(['a']),
      () => store.write([{ key: 'a', value: 1 }]),
      async () => {
        for await (const entry of store.entries({ gte: 'a', lt: 'b' })) void entry;
      },
    ]) {
      await assert.rejects(attempt(), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_TPS_STORAGE');
        assert.match(error.message, /^collector storage could not /);
        assert.ok(error.cause instanceof Error);
        return true;
      });
    }
  });

  it('cannot open a path under a file', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/file`, 'x');

    await assert.rejects(Store.open(`${dir}/file/db`), { code: 'ERR_TPS_STORAGE' });
  });
});
