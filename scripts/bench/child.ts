import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MESSAGE_PREFIX } from './worker-io.js';

/** How to start a worker. */
export interface WorkerOptions {
  /** Node flags such as `--expose-gc` or `--cpu-prof`. @default [] */
  execArgv?: readonly string[];
  /** Milliseconds before the child is killed and the run fails. @default 120000 */
  timeoutMs?: number;
}

/** A worker that is still running, such as the collector. */
export interface RunningWorker<T> {
  readonly child: ChildProcess;
  /** Every message so far, oldest first. */
  readonly messages: T[];
  /** Resolves with the next message, or rejects if the child exits first. */
  nextMessage(): Promise<T>;
  /** Resolves with the last message once the child exited with status 0. */
  readonly done: Promise<T>;
}

/** The path of a compiled worker next to this file, such as `hot-path/worker.js`. */
export function workerPath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

/**
 * Starts a worker in a fresh Node process. Fresh on purpose: a case's JIT state, heap and
 * event loop must not leak into the next one.
 */
export function startWorker<T>(
  script: string,
  config: unknown,
  options: WorkerOptions = {},
): RunningWorker<T> {
  const args = [...(options.execArgv ?? []), script, JSON.stringify(config)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: T[] = [];
  const waiters: ((message: T | Error) => void)[] = [];
  let stderr = '';
  // The tail only: enough to say why a child failed.
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(MESSAGE_PREFIX)) return;
    const message = JSON.parse(line.slice(MESSAGE_PREFIX.length)) as T;
    messages.push(message);
    waiters.shift()?.(message);
  });

  const exited = waitForExit(child, options.timeoutMs ?? 120_000, () => stderr);
  const done = exited.then(() => {
    const last = messages.at(-1);
    if (last === undefined) throw new Error(`${script} exited without a result\n${stderr}`);
    return last;
  });
  // Whoever still waits for a message hears that none will come.
  void exited
    .then(
      () => new Error(`${script} exited`),
      (error: unknown) => error as Error,
    )
    .then((error) => {
      for (const waiter of waiters.splice(0)) waiter(error);
    });

  return { child, messages, done, nextMessage: () => nextOf(waiters) };
}

/**
 * Runs a worker to its end and returns its result. A failed child is run once more: `build/`
 * is shared with whoever else compiles on this machine, and a child that loaded a file in the
 * middle of being rewritten fails for no reason of its own. A second failure is real.
 */
export async function runWorker<T>(
  script: string,
  config: unknown,
  options?: WorkerOptions,
): Promise<T> {
  try {
    return await startWorker<T>(script, config, options).done;
  } catch (error) {
    const reason = String(error).slice(0, 500);
    console.error(`[bench] a worker failed, running it once more: ${reason}`);
    return startWorker<T>(script, config, options).done;
  }
}

function nextOf<T>(waiters: ((message: T | Error) => void)[]): Promise<T> {
  return new Promise((resolve, reject) =>
    waiters.push((message) => (message instanceof Error ? reject(message) : resolve(message))),
  );
}

function waitForExit(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': it comes after stdout has ended, so the last message is in.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`worker exited with ${signal ?? code}\n${stderr()}`));
    });
  });
}
