import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { useCollectorAndWorkDir } from './helpers/collector.js';

describe('handleSignals', () => {
  const env = useCollectorAndWorkDir('tps-signals-');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`ships what is pending on ${signal}, then lets the signal end the process`, async () => {
      const fixture = resolve('build/test/fixtures/signal-host.js');
      const gateway = `gw-${signal}`;
      const args = [fixture, join(env.workDir, signal), env.collector.url, '321', gateway];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const [ready] = (await once(child.stdout, 'data')) as [Buffer];
      assert.match(ready.toString(), /ready/);

      child.kill(signal);
      const [code, endedBy] = (await once(child, 'exit')) as [number | null, string | null];

      assert.equal(code, null);
      assert.equal(endedBy, signal, 'the signal still ends the process');
      assert.deepEqual((await env.collector.tps(gateway)).total, { count: 321, errors: 0 });
    });
  }
});
