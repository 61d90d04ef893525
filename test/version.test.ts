import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { VERSION } from '../src/index.js';

it('reports the version package.json declares', async () => {
  const packageJson = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };

  assert.equal(VERSION, packageJson.version);
});
