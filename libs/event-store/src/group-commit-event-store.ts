import type {
  AppendOutcome,
  AppendRequest,
  AppendResult,
  BatchSubscribeOptions,
  BatchSubscriptionHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamsOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './event-store.port';

/** Options of {@link GroupCommitEventStore}. */
export interface GroupCommitOptions {
  /** Most appends written by one `appendMany` (and streams read by one `readStreams`); default 500. */
  readonly maxBatch?: number;
}

interface Pending<Request, Result> {
  readonly request: Request;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: Error) => void;
}

/**
 * An {@link EventStore} that turns the `append`s and whole-stream `readStream`s its callers issue at the same
 * moment into one `appendMany` / `readStreams` of the wrapped store (group commit), with the same answer
 * per call as the wrapped store's `append` / `readStream` would give:
 * - appends issued in the same turn of the event loop, plus those issued while a group is being written, go
 *   out together; one group is written at a time (PostgreSQL serialises appenders on its position counter
 *   anyway), so a busy store writes ever larger groups instead of queueing connections. Each append still
 *   checks its own expected revision: a conflict rejects that call only.
 * - whole-stream reads issued in the same turn go out as one `readStreams`; reads with options pass through.
 * Everything else passes through. `close()` closes the wrapped store.
 */
export class GroupCommitEventStore implements EventStore {
  private readonly maxBatch: number;
  private appends: Pending<AppendRequest, AppendResult>[] = [];
  private appendScheduled = false;
  private writing = false;
  private reads: Pending<string, RecordedEvent[]>[] = [];
  private readScheduled = false;

  constructor(
    private readonly store: EventStore,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** See {@link EventStore.append}; written with the other appends of the moment in one `appendMany`. */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.appends.push({ request: { stream_id: streamId, events, expected }, resolve, reject });
      this.scheduleWrite();
    });
  }

  appendMany(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    return this.store.appendMany(requests);
  }

  /** See {@link EventStore.readStream}; a read without options joins the other reads of the moment. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    if (options && (options.from_revision !== undefined || options.max_count !== undefined)) {
      return this.store.readStream(streamId, options);
    }
    return new Promise((resolve, reject) => {
      this.reads.push({ request: streamId, resolve, reject });
      if (this.readScheduled) return;
      this.readScheduled = true;
      setImmediate(() => this.flushReads());
    });
  }

  readStreams(
    streamIds: readonly string[],
    options?: ReadStreamsOptions,
  ): Promise<Map<string, RecordedEvent[]>> {
    return this.store.readStreams(streamIds, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.store.readAll(options);
  }

  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions): Subscription {
    return this.store.subscribeToAll(handler, options);
  }

  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions): Subscription {
    return this.store.subscribeToAllInBatches(handler, options);
  }

  headPosition(): Promise<bigint | null> {
    return this.store.headPosition();
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private scheduleWrite(): void {
    if (this.writing || this.appendScheduled) return;
    this.appendScheduled = true;
    // setImmediate, not a microtask: lets every command of the moment reach its append first.
    setImmediate(() => {
      this.appendScheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing || this.appends.length === 0) return;
    this.writing = true;
    const group = this.appends.splice(0, this.maxBatch);
    try {
      const outcomes = await this.store.appendMany(group.map((pending) => pending.request));
      group.forEach((pending, index) => {
        const outcome = outcomes[index];
        if (outcome.ok) pending.resolve(outcome.result);
        else pending.reject(outcome.error);
      });
    } catch (error) {
      for (const pending of group) pending.reject(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.writing = false;
    }
    // Appends that arrived while this group was being written form the next group, without delay.
    if (this.appends.length > 0) void this.write();
  }

  private flushReads(): void {
    this.readScheduled = false;
    while (this.reads.length > 0) {
      const group = this.reads.splice(0, this.maxBatch);
      this.store.readStreams(group.map((pending) => pending.request)).then(
        (streams) => {
          // Each caller gets its own array: callers may keep or change what they read.
          for (const pending of group) pending.resolve([...(streams.get(pending.request) ?? [])]);
        },
        (error: unknown) => {
          for (const pending of group)
            pending.reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }
  }
}
