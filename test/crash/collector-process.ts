import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildExit } from './agent-process.js';

/** The compiled collector CLI. */
export const COLLECTOR_CLI = fileURLToPath(new URL('../../src/cli/collector.js', import.meta.url));

/** A loopback port that was free a moment ago: bind port 0, read it, let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port was bound');

  return address.port;
}

/** The collector CLI running in a child process on a fixed loopback port. */
export class CollectorProcess {
  /** Settles once the process has exited, however it ended. */
  readonly exited: Promise<ChildExit>;
  /** Everything it wrote on stderr. */
  stderr = '';

  private constructor(
    /** The node process. */
    readonly child: ChildProcess,
    /** Base URL of its HTTP API. */
    readonly url: string,
  ) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as ChildExit);
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /**
   * Starts `tps-collector --port <port> --host 127.0.0.1 --data-dir <dataDir>` and resolves
   * once it prints that it listens.
   *
   * @throws Error when it exits first, with what it wrote on stderr
   */
  static async start(port: number, dataDir: string): Promise<CollectorProcess> {
    const args = ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
    const child = spawn(process.execPath, [COLLECTOR_CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TPS_LOG_LEVEL: 'warn' },
    });
    const collector = new CollectorProcess(child, `http://127.0.0.1:${port}`);
    const listening = new Promise<boolean>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('tps-collector listening on ')) resolve(true);
      });
      void collector.exited.then(() => resolve(false));
    });
    if (!(await listening)) {
      throw new Error(`the collector exited before it listened: ${collector.stderr}`);
    }

    return collector;
  }

  /** Sends SIGKILL and resolves once the process is gone. */
  async kill(): Promise<ChildExit> {
    this.child.kill('SIGKILL');

    return this.exited;
  }

  /** Sends SIGTERM (a clean stop) and resolves with how it exited. */
  async stop(): Promise<ChildExit> {
    this.child.kill('SIGTERM');

    return this.exited;
  }
}
