import type { Logger } from './logger.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, runs `close` (which keeps its own deadline), then lets the signal do
 * what it would have done: when the host listens to it too, the host decides how to end;
 * otherwise the signal is raised again so the process ends as it would have without us.
 *
 * @returns A function that removes the handlers.
 */
export function closeOnSignals(close: () => Promise<void>, logger: Logger): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    uninstall();
    logger.info({ signal }, 'closing on signal: flushing and shipping before exit');
    void close().finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const uninstall = (): void => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  return uninstall;
}
