/**
 * Admits the log's operations while it is open and lets `close()` wait for them. Writes run one
 * at a time in call order; reads run at once, beside the writes.
 */
export class OperationGate {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly reads = new Set<Promise<unknown>>();
  private closed = false;

  /** @param closedError makes the error an operation rejects with once the gate is closed. */
  constructor(private readonly closedError: () => Error) {}

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs `task` after every write admitted before it has settled.
   *
   * Why one chain: each write reads the in-memory counters, stages their new values into its
   * batch and applies them once the batch is durable. Two writes in flight at once would both
   * start from the same counters and the second would overwrite the first's figures on disk.
   */
  write<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());

    const result = this.tail.then(task);
    // A failed write must not stop the ones queued behind it; its own caller sees the rejection.
    this.tail = result.catch(() => undefined);

    return result;
  }

  /** Runs `task` now, and makes {@link close} wait for it. */
  read<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());

    const result = task();
    const settled = result.catch(() => undefined);
    this.reads.add(settled);
    void settled.then(() => this.reads.delete(settled));

    return result;
  }

  /** Refuses new operations, then resolves once every admitted one has settled. */
  async close(): Promise<void> {
    this.closed = true;

    await Promise.all([this.tail, ...this.reads]);
  }
}
