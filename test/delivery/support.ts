import { pino, type Logger } from 'pino';

/** A pino logger that keeps every line it writes, parsed, in `lines`. */
export function capturingLogger(level = 'debug'): {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** Lines whose message contains `text`. */
  matching(text: string): Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const matching = (text: string) => lines.filter((line) => String(line.msg).includes(text));

  return { logger, lines, matching };
}

/**
 * Keeps the test process alive while it waits on the sender's unref'd timers (backoff, wake-ups,
 * cockatiel's): without a ref'd handle, node:test would see an empty loop and end the test.
 */
export function keepProcessAlive(): () => void {
  const timer = setInterval(() => undefined, 1000);

  return () => clearInterval(timer);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
