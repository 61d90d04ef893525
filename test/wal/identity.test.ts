import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  IDENTITY_FILE,
  parseIdentity,
  readIdentityFile,
  stampIdentity,
  writeIdentityFile,
} from '../../src/wal/identity.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('tps-wal-identity-');
});
afterEach(() => removeDir(dir));

describe('stampIdentity and parseIdentity', () => {
  it('stamps an id with its CRC-32 as 8 hex digits, and reads it back', () => {
    const stamped = stampIdentity(ID);

    assert.match(stamped, /^0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d [0-9a-f]{8}$/);
    assert.deepEqual(parseIdentity(stamped), { agentId: ID, isStamped: true });
  });

  it('reads a bare UUID, as earlier layouts stored it, as not stamped', () => {
    assert.deepEqual(parseIdentity(ID), { agentId: ID, isStamped: false });
  });

  it('finds every single changed character of a stamped id', () => {
    const stamped = stampIdentity(ID);
    for (let at = 0; at < stamped.length; at++) {
      for (const replacement of ['0', 'a', 'f', 'A', ' ', '-', 'g']) {
        if (stamped[at] === replacement) continue;
        const damaged = stamped.slice(0, at) + replacement + stamped.slice(at + 1);

        assert.ok('problem' in parseIdentity(damaged), `${damaged} is refused`);
      }
    }
  });

  it('refuses what is neither a UUID nor a stamped one', () => {
    for (const text of ['', 'agent-1', ID.toUpperCase(), `${ID} `, `${ID}x`, ID.slice(1)]) {
      assert.ok('problem' in parseIdentity(text), JSON.stringify(text));
    }
  });
});

describe('the identity file', () => {
  it('is written stamped, with a newline, and read back', async () => {
    await writeIdentityFile(dir, ID);

    assert.equal(await readFile(join(dir, IDENTITY_FILE), 'utf8'), `${stampIdentity(ID)}\n`);
    assert.deepEqual(await readIdentityFile(dir), { agentId: ID, isStamped: true });
    assert.deepEqual(await readdir(dir), [IDENTITY_FILE], 'no temp file is left');
  });

  it('replaces an older copy', async () => {
    await writeIdentityFile(dir, ID);
    const other = 'ffffffff-0000-4000-8000-000000000000';

    await writeIdentityFile(dir, other);

    assert.deepEqual(await readIdentityFile(dir), { agentId: other, isStamped: true });
  });

  it('reads as undefined when missing', async () => {
    assert.equal(await readIdentityFile(dir), undefined);
  });

  it('reads as a problem when damaged, bare, or not a file', async () => {
    const path = join(dir, IDENTITY_FILE);
    const cases = [stampIdentity(ID).replace('4e5f', '4e5e'), ID, '', 'junk'];
    for (const text of cases) {
      await writeFile(path, text);

      assert.ok('problem' in ((await readIdentityFile(dir)) ?? {}), JSON.stringify(text));
    }

    const inside = join(dir, 'sub');
    await writeIdentityFile(dir, ID);
    await writeFile(join(dir, 'sub'), '');
    assert.match(
      JSON.stringify(await readIdentityFile(inside)),
      /cannot be read/,
      'a path through a file cannot be read',
    );
  });
});
