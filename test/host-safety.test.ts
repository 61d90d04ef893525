import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir, removeDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

describe('the host process', () => {
  let workDir: string;
  let hung: Server;
  let hungUrl: string;

  before(async () => {
    workDir = await makeTempDir('tps-host-');
    // Accepts connections and never answers: a collector that hangs, which a healthy one
    // cannot be made to do on demand.
    hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const address = hung.address() as { port: number };
    hungUrl = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    hung.close();
    await removeDir(workDir);
  });

  it('survives a close while sends wait between retries', async () => {
    const fixture = resolve('build/test/fixtures/close-while-failing.js');

    const { stdout } = await run(
      process.execPath,
      [fixture, join(workDir, 'c'), 'http://127.0.0.1:9'],
      {
        timeout: 20_000,
      },
    );

    assert.match(stdout, /survived/);
  });

  it('ends within about requestTimeoutMs when the collector hangs', async () => {
    const fixture = resolve('build/test/fixtures/hung-collector-host.js');
    const started = Date.now();

    await run(process.execPath, [fixture, join(workDir, 'h'), hungUrl], { timeout: 20_000 });

    const tookMs = Date.now() - started;
    assert.ok(tookMs < 6000, `the host took ${tookMs} ms to end; requestTimeoutMs is 1000`);
  });
});
