import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

it('runs the demo end to end: load tool and collector agree', async () => {
  const demo = resolve('build/scripts/demo.js');

  const { stdout } = await run(process.execPath, [demo], {
    env: { ...process.env, DEMO_SECONDS: '3' },
    timeout: 60_000,
  });

  assert.match(stdout, /every call counted exactly once/);
  assert.match(stdout, /POST \/pay/);
  assert.doesNotMatch(stdout, /MISMATCH/);
});
