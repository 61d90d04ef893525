import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { useCollectorAndWorkDir } from './helpers/collector.js';

const run = promisify(execFile);

describe('the agent in a host process', () => {
  const env = useCollectorAndWorkDir('tps-process-');

  it('ships pending calls when the host ends on its own, and does not keep it alive', async () => {
    const fixture = resolve('build/test/fixtures/exit-naturally.js');
    const started = Date.now();

    await run(process.execPath, [fixture, join(env.workDir, 'exit'), env.collector.url, '777'], {
      timeout: 20_000,
    });

    assert.ok(Date.now() - started < 15_000, 'the process ended without waiting for timers');
    assert.deepEqual((await env.collector.tps('exit-gw')).total, { count: 777, errors: 0 });
  });

  it('loads with require() from CommonJS', async () => {
    const entry = resolve('dist/index.js');
    const script = `const tps = require(${JSON.stringify(entry)});
      if (typeof tps.createAgent !== 'function' || typeof tps.measureTps !== 'function') process.exit(2);
      console.log(tps.VERSION);`;

    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 20_000 });

    assert.match(stdout, /^\d+\.\d+\.\d+/);
  });
});
