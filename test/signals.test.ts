import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCollector, type TestCollector } from './helpers/collector.js';
import { makeTempDir, removeDir } from './helpers/temp-dir.js';

describe('handleSignals', () => {
  let collector: TestCollector;
  let workDir: string;

  before(async () => {
    collector = await startTestCollector();
    workDir = await makeTempDir('tps-signals-');
  });
  after(async () => {
    await collector.dispose();
    await removeDir(workDir);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`ships what is pending on ${signal}, then lets the signal end the process`, async () => {
      const fixture = resolve('build/test/fixtures/signal-host.js');
      const gateway = `gw-${signal}`;
      const args = [fixture, join(workDir, signal), collector.url, '321', gateway];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const [ready] = (await once(child.stdout, 'data')) as [Buffer];
      assert.match(ready.toString(), /ready/);

      child.kill(signal);
      const [code, endedBy] = (await once(child, 'exit')) as [number | null, string | null];

      assert.equal(code, null);
      assert.equal(endedBy, signal, 'the signal still ends the process');
      assert.deepEqual((await collector.tps(gateway)).total, { count: 321, errors: 0 });
    });
  }
});
