/**
 * Runs async tasks one at a time, in the order they were added. The collector passes every
 * read-modify-write of stored buckets through one queue, so that two batches touching the
 * same bucket cannot both read the old value and lose one update.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private size = 0;

  /** Tasks added and not yet settled, the running one included. */
  get pending(): number {
    return this.size;
  }

  /**
   * Adds a task; it starts once every task added before it has settled.
   *
   * @returns the task's result; a failure rejects this promise only, never later tasks
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.size += 1;
    const result = this.tail.then(task).finally(() => {
      this.size -= 1;
    });
    this.tail = result.catch(() => undefined);

    return result;
  }

  /** Resolves once every task added so far has settled. */
  async onIdle(): Promise<void> {
    await this.tail;
  }
}
