import type { ProjectionLogger } from '../projection-runner';

/** One message to publish: key, JSON text, string headers (kafkajs' `Message` fits). */
export interface OutgoingMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Writes a batch in order and resolves once the broker acknowledged all of it; rejects otherwise. */
export type MessageSink = (messages: readonly OutgoingMessage[]) => Promise<void>;

/** Options of {@link BatchingPublisher}. Durations in ms. */
export interface BatchingPublisherOptions {
  /** Messages per sink call at most (default 500). */
  readonly maxBatch?: number;
  /** `enqueue` waits while this many messages are not yet acknowledged (default 10 000): back-pressure. */
  readonly maxBuffered?: number;
  /** Back-off of a failed batch: first delay and cap (defaults 100 and 5000). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: ProjectionLogger;
  /** Called with the number of messages of each acknowledged batch (metrics). */
  readonly onSent?: (count: number) => void;
  /** Wall clock in ms (default `Date.now`); injected by tests. */
  readonly clock?: () => number;
}

/** A snapshot of a {@link BatchingPublisher} (no I/O). */
export interface BatchingPublisherStatus {
  /** Messages enqueued but not yet acknowledged. */
  readonly pending: number;
  /** Age in ms of the oldest unacknowledged message; 0 when none. */
  readonly oldest_pending_ms: number;
  /** Messages acknowledged since start. */
  readonly published: number;
  /** Message of the last failed batch, `null` once a batch succeeds again. */
  readonly last_error: string | null;
}

/**
 * Publishes messages in order, in batches, without making the caller wait for the broker: `enqueue` returns
 * at once (unless `maxBuffered` messages are waiting), one batch is in flight at a time, and whatever arrived
 * meanwhile forms the next batch. A failed batch is retried, whole and first, with back-off: nothing is
 * dropped or reordered (a partly written batch yields duplicates, which consumers drop by event id).
 * `flush()` resolves once everything enqueued before it is acknowledged: the integration-event runner calls it
 * before storing its checkpoint (see {@link publishBeforeCheckpoint}), so the checkpoint never passes an
 * unpublished event.
 */
export class BatchingPublisher {
  private readonly queue: OutgoingMessage[] = [];
  /** Enqueue time (ms) of each queued message, same order as `queue`. */
  private readonly queuedAt: number[] = [];
  private readonly clock: () => number;
  private enqueued = 0;
  private acknowledged = 0;
  private sending = false;
  private stopped = false;
  private lastError: string | null = null;
  private readonly flushes: { target: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private wake: (() => void) | null = null;

  constructor(
    private readonly sink: MessageSink,
    private readonly options: BatchingPublisherOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Queues `message` for publishing; waits only while `maxBuffered` messages are unacknowledged. @throws Error after `stop()`. */
  async enqueue(message: OutgoingMessage): Promise<void> {
    while (this.queue.length >= (this.options.maxBuffered ?? 10_000)) {
      if (this.stopped) throw new Error('publisher stopped');
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.stopped) throw new Error('publisher stopped');
    this.queue.push(message);
    this.queuedAt.push(this.clock());
    this.enqueued += 1;
    if (!this.sending) {
      this.sending = true;
      void this.send();
    }
  }

  /**
   * Resolves once every message enqueued before the call is acknowledged.
   * @throws Error when a batch fails meanwhile (the publisher keeps retrying; call again later) or after `stop()`.
   */
  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.acknowledged >= target) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error('publisher stopped with unpublished messages'));
    return new Promise((resolve, reject) => this.flushes.push({ target, resolve, reject }));
  }

  /** Pending messages, their age, errors (no I/O). */
  status(): BatchingPublisherStatus {
    return {
      pending: this.queue.length,
      oldest_pending_ms: this.queuedAt.length > 0 ? Math.max(0, this.clock() - this.queuedAt[0]) : 0,
      published: this.acknowledged,
      last_error: this.lastError,
    };
  }

  /** Stops retrying and sending (after the caller's last `flush`); waiting callers are rejected. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.settle(new Error('publisher stopped with unpublished messages'));
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }

  private async send(): Promise<void> {
    let delay = this.options.retryInitialMs ?? 100;
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.slice(0, this.options.maxBatch ?? 500);
      try {
        await this.sink(batch);
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.settle(new Error(`publishing failed: ${this.lastError}`));
        this.options.logger?.warn(`integration events: publishing ${batch.length} messages failed, retrying in ${delay} ms: ${this.lastError}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
        continue;
      }
      this.queue.splice(0, batch.length);
      this.queuedAt.splice(0, batch.length);
      this.acknowledged += batch.length;
      this.lastError = null;
      delay = this.options.retryInitialMs ?? 100;
      this.options.onSent?.(batch.length);
      this.settle(null);
      for (const wake of this.spaceWaiters.splice(0)) wake();
    }
    this.sending = false;
  }

  /** Resolves the flushes that are done; with `failure`, rejects the others. */
  private settle(failure: Error | null): void {
    for (let i = this.flushes.length - 1; i >= 0; i--) {
      const flush = this.flushes[i];
      if (this.acknowledged >= flush.target) flush.resolve();
      else if (failure) flush.reject(failure);
      else continue;
      this.flushes.splice(i, 1);
    }
  }
}
