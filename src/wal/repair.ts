import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How long a repair may run before it is killed and counted as failed. */
export const REPAIR_TIMEOUT_MS = 60_000;

/** How long to wait for a killed repair to exit before giving up on it. */
const KILL_WAIT_MS = 5_000;

/** The most of the child's stderr kept for the error message, from its end. */
const MAX_STDERR_CHARS = 2_048;

/** How {@link repairInChild} runs; tests replace the script and shorten the timeout. */
export interface RepairOptions {
  /**
   * Milliseconds the repair may take, an integer >= 1; past it the child is killed.
   * @default 60000 ({@link REPAIR_TIMEOUT_MS})
   */
  timeoutMs?: number;
  /** The script to run with the location as its argument. @default `./repair-worker.js` */
  script?: URL;
}

/**
 * Repairs the LevelDB at `location` in a child process, running `repair-worker.js` from the
 * same directory as this module (in `build/` and `dist/` alike).
 *
 * LevelDB's repair can fail an assertion on some damage and abort the process it runs in: in the
 * host, that would kill the host. In a child, it only fails the repair.
 *
 * @param location the directory of the store; no other process may hold it.
 * @returns once the child has exited 0.
 * @throws {Error} when the child cannot start, exits non-zero, dies by a signal or is killed
 * after `timeoutMs`; the message says which, with the end of the child's stderr.
 */
export async function repairInChild(location: string, options: RepairOptions = {}): Promise<void> {
  const script = options.script ?? new URL('./repair-worker.js', import.meta.url);
  const timeoutMs = options.timeoutMs ?? REPAIR_TIMEOUT_MS;
  // No stdin, no IPC, no inherited NODE_OPTIONS, flags or environment: the child needs nothing
  // of the host's but the location, and gets no secrets the host holds.
  const child = spawn(process.execPath, [fileURLToPath(script), location], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {},
    windowsHide: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
  });

  const outcome = await waitForExit(child, timeoutMs);
  const said = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
  if (outcome === 'timed out') {
    throw new Error(`LevelDB repair did not finish within ${timeoutMs} ms and was killed${said}`);
  }
  if (outcome.signal !== null) {
    throw new Error(`LevelDB repair died by ${outcome.signal}${said}`);
  }
  if (outcome.code !== 0) throw new Error(`LevelDB repair exited with ${outcome.code}${said}`);
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * Waits for `child` to exit, killing it with SIGKILL after `timeoutMs`. A killed child is waited
 * for, a little, before the caller moves its directory: until it is gone it may still write
 * there.
 */
async function waitForExit(
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
): Promise<Exit | 'timed out'> {
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), timeoutMs);
  });

  try {
    const outcome = await Promise.race([exited, timedOut]);
    if (outcome !== 'timed out') return outcome;

    child.kill('SIGKILL');
    await Promise.race([exited.catch(() => undefined), delay(KILL_WAIT_MS)]);
    // A child stuck in the kernel past that wait must not keep the host running.
    child.unref();

    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

async function delay(ms: number): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}
