import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const CLI = fileURLToPath(new URL('../../src/cli/collector.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TPS_LOG_LEVEL: '', ...env },
  });
}

async function output(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];

  return { code, stdout, stderr };
}

/** Resolves with the URL the CLI prints, or rejects when it exits first. */
async function listeningUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /^tps-collector listening on (http:\/\/\S+)$/.exec(line);
    if (match !== null) {
      return match[1]!;
    }
  }
  throw new Error('the CLI exited without printing its URL');
}

describe('tps-collector CLI', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await makeTempDir('tps-collector-cli-');
  });

  after(async () => {
    await removeDir(dataDir);
  });

  it('prints its flags and defaults on --help', async () => {
    const { code, stdout } = await output(run(['--help']));

    assert.equal(code, 0);
    assert.match(stdout, /Usage: tps-collector \[options\]/);
    // Commander wraps the descriptions at 80 columns, so a default may sit on the next line.
    assert.match(stdout, /--port <number>[^(]*\(default:\s+8080\)/);
    assert.match(stdout, /--host <host>[^(]*\(default:\s+"127\.0\.0\.1"\)/);
    assert.match(stdout, /--data-dir <dir>[^(]*\(default:\s+"\.tps-collector"\)/);
    assert.match(stdout, /--dedupe-window-ms <ms>[^(]*\(default:\s+604800000\)/);
    assert.match(stdout, /SIGTERM/);
  });

  it('serves on the port it prints and exits cleanly on SIGTERM', async () => {
    const child = run(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
    const exited = once(child, 'exit');

    const url = await listeningUrl(child);
    const health = await fetch(`${url}/api/v1/health`);
    assert.deepEqual(await health.json(), { status: 'healthy' });
    child.kill('SIGTERM');

    const [code, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, null);
    assert.equal(code, 0);
  });

  it('stops on SIGINT too', async () => {
    const child = run(['--port', '0', '--data-dir', dataDir]);
    const exited = once(child, 'exit');

    await listeningUrl(child);
    child.kill('SIGINT');

    assert.deepEqual(await exited, [0, null]);
  });

  it('logs JSON at info on stdout, or at the level TPS_LOG_LEVEL names', async () => {
    for (const [level, expectsInfo] of [
      ['', true],
      ['warn', false],
    ] as const) {
      const child = run(['--port', '0', '--data-dir', dataDir], { TPS_LOG_LEVEL: level });
      await listeningUrl(child);
      child.kill('SIGTERM');
      const { stdout } = await output(child);

      const logs = stdout.split('\n').filter((line) => line.startsWith('{'));
      const messages = logs.map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.equal(messages.includes('collector closed'), expectsInfo, `level "${level}"`);
    }
  });

  it('refuses a port that is not a number', async () => {
    const { code, stderr } = await output(run(['--port', 'eighty']));

    assert.equal(code, 1);
    assert.match(stderr, /--port <number>.*must be an integer from 0 to 65535/);
  });

  it('refuses a dedupe window that is no whole number or under a second', async () => {
    const words = await output(run(['--dedupe-window-ms', '7d']));
    const small = await output(run(['--dedupe-window-ms', '999', '--port', '0']));

    assert.equal(words.code, 1);
    assert.match(words.stderr, /--dedupe-window-ms <ms>.*must be a whole number of milliseconds/);
    assert.equal(small.code, 1);
    assert.match(small.stderr, /^tps-collector: dedupeWindowMs must be an integer from 1000/);
  });

  it('exits with 1 and says why when it cannot start', async () => {
    const holder = run(['--port', '0', '--data-dir', dataDir]);
    await listeningUrl(holder);
    try {
      const { code, stderr } = await output(run(['--port', '0', '--data-dir', dataDir]));

      assert.equal(code, 1);
      assert.match(stderr, /^tps-collector: collector storage could not open/);
    } finally {
      holder.kill('SIGTERM');
      await once(holder, 'exit');
    }
  });
});
