/**
 * Admits the log's operations while it is open and lets `close()` wait for them. Writes run one
 * at a time in call order; reads run at once, beside the writes.
 */
export class OperationGate {
  /** Starts of the writes admitted and waiting for their turn, oldest first. */
  private readonly waiting: (() => void)[] = [];
  private isWriting = false;
  /** The last write admitted, settled either way: once it is, every write before it is too. */
  private lastWrite: Promise<unknown> = Promise.resolve();
  private readonly reads = new Set<Promise<unknown>>();
  private closed = false;

  /** @param closedError makes the error an operation rejects with once the gate is closed. */
  constructor(private readonly closedError: () => Error) {}

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs `task` after every write admitted before it has settled: at once when none is running.
   *
   * Why one at a time: each write reads the in-memory counters, stages their new values into its
   * batch and applies them once the batch is durable. Two writes in flight at once would both
   * start from the same counters and the second would overwrite the first's figures on disk.
   *
   * Why a queue, not a promise chain: when a write settles, the next one starts before the
   * caller of the last one resumes, so its batch is on its way to LevelDB while that caller
   * prepares the next (an append encodes its pages as it is called). Behind a chain of `then`s
   * the caller ran first, and the disk waited for its encoding.
   */
  write<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return this.closedRejection();

    const result = new Promise<T>((resolve, reject) => {
      const start = (): void => {
        let running: Promise<T>;
        try {
          running = task();
        } catch (error) {
          running = Promise.reject(error);
        }
        running.then(
          (value) => {
            this.startNext();
            resolve(value);
          },
          (error: unknown) => {
            // A failed write does not stop the ones queued behind it; its caller sees the error.
            this.startNext();
            reject(error);
          },
        );
      };
      if (this.isWriting) {
        this.waiting.push(start);
      } else {
        this.isWriting = true;
        start();
      }
    });
    this.lastWrite = result.catch(() => undefined);

    return result;
  }

  private startNext(): void {
    const start = this.waiting.shift();
    if (start === undefined) this.isWriting = false;
    else start();
  }

  /** Runs `task` now, and makes {@link close} wait for it. */
  read<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return this.closedRejection();

    const result = task();
    const settled = result.catch(() => undefined);
    this.reads.add(settled);
    void settled.then(() => this.reads.delete(settled));

    return result;
  }

  /** What an operation refused for a closed gate returns, for one that checks before its task. */
  closedRejection(): Promise<never> {
    return Promise.reject(this.closedError());
  }

  /** Refuses new operations, then resolves once every admitted one has settled. */
  async close(): Promise<void> {
    this.closed = true;

    await Promise.all([this.lastWrite, ...this.reads]);
  }
}
