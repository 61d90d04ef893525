/**
 * The child side of the protocol between the harness and its workers: a worker reads its
 * configuration from its first argument and answers with lines that start with
 * {@link MESSAGE_PREFIX}, so stray output from a library cannot be mistaken for a result.
 */

/** Starts each line that carries a message from a worker. */
export const MESSAGE_PREFIX = '@bench ';

/** The configuration the harness passed as JSON in the first argument. */
export function readConfig<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new TypeError('a bench worker takes its configuration as JSON');

  return JSON.parse(raw) as T;
}

/** Sends one message to the harness; the last one a worker sends is its result. */
export function send(message: unknown): void {
  // Synchronous on Linux pipes, so a message written just before exit is not lost.
  process.stdout.write(`${MESSAGE_PREFIX}${JSON.stringify(message)}\n`);
}

/**
 * Runs a worker's main function, sends what it returns, and exits: agents keep sockets and
 * timers that would otherwise hold the child open after its result is in.
 */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    (result) => {
      send(result);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
