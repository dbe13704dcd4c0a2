/**
 * Runs tasks strictly one after another per key and concurrently across keys: the ordering Kafka promises for
 * one key (one ticket's commands, ARCHITECTURE.md "Kafka contract"), kept while a batch's commands for
 * different tickets run at the same time.
 *
 * When a task fails, the tasks queued behind it under the same key are not run: they reject with the same
 * error, since running a later command of a ticket before an earlier one is redelivered would break the
 * order. A key whose tasks have all settled is forgotten, so a later task under it starts afresh.
 */
export class KeyedScheduler {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Number of keys with queued or running tasks. */
  get activeKeys(): number {
    return this.tails.size;
  }

  /** Runs `task` after every task scheduled before it under `key` has succeeded. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const current = previous ? previous.then(task) : Promise.resolve().then(task);
    this.tails.set(key, current);
    const forget = () => {
      if (this.tails.get(key) === current) this.tails.delete(key);
    };
    current.then(forget, forget);
    return current;
  }
}
