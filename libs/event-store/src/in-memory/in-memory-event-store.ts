import { assertAppendable, DuplicateEventIdError, settleAppend } from '../event-store.errors';
import {
  ExpectedRevisionConflictError,
  type AppendOutcome,
  type AppendRequest,
  type AppendResult,
  type BatchSubscribeOptions,
  type BatchSubscriptionHandler,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ReadStreamsOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
} from '../event-store.port';

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Wall clock for `recorded_at` (default `() => new Date()`); injected by tests. */
  readonly now?: () => Date;
}

/**
 * The event store port in memory, for fast unit specs of the application layer (as emmett's in-memory store):
 * it passes the same contract suite as the PostgreSQL and EventStoreDB adapters (`in-memory-event-store.spec.ts`).
 * Appends are atomic (JavaScript runs one append at a time), positions are 1, 2, 3... without holes, and, as in
 * PostgreSQL, event ids are unique store-wide. Never use it where a test claims to test a real server.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byId = new Map<string, RecordedEvent>();
  /** Wakes the subscriptions waiting for new events. */
  private readonly listeners = new Set<() => void>();
  private readonly now: () => Date;
  private closed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(events, expected);
    const stream = this.streams.get(streamId) ?? [];
    const replay = this.idempotentReplay(stream, events, expected);
    if (replay) return replay;
    const actual = stream.length === 0 ? 'no_stream' : BigInt(stream.length - 1);
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' ? stream.length === 0 : stream.length > 0 && actual === expected);
    if (!matches) throw new ExpectedRevisionConflictError(streamId, expected, actual);
    const ids = events.map((event) => event.id);
    if (new Set(ids).size !== ids.length || ids.some((id) => this.byId.has(id)))
      throw new DuplicateEventIdError(streamId, ids);

    const recorded_at = this.now().toISOString();
    for (const event of events) {
      const record: RecordedEvent = {
        ...structuredClone(event),
        stream_id: streamId,
        revision: BigInt(stream.length),
        position: BigInt(this.log.length + 1),
        recorded_at,
      };
      stream.push(record);
      this.log.push(record);
      this.byId.set(record.id, record);
    }
    this.streams.set(streamId, stream);
    for (const wake of [...this.listeners]) wake();
    const last = stream[stream.length - 1];
    return { next_expected_revision: last.revision, position: last.position };
  }

  /** See {@link EventStore.appendMany}: each request appended in turn (atomic each, as `append`). */
  async appendMany(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const outcomes: AppendOutcome[] = [];
    for (const request of requests) {
      outcomes.push(await settleAppend(this.append(request.stream_id, request.events, request.expected)));
    }
    return outcomes;
  }

  async readStreams(streamIds: readonly string[], options: ReadStreamsOptions = {}): Promise<Map<string, RecordedEvent[]>> {
    const streams = new Map<string, RecordedEvent[]>();
    for (const id of streamIds) streams.set(id, await this.readStream(id, { max_count: options.max_count }));
    return streams;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = Number(options.from_revision ?? 0n);
    const stream = this.streams.get(streamId) ?? [];
    return stream
      .slice(from, options.max_count === undefined ? undefined : from + options.max_count)
      .map(copy);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = options.after === null || options.after === undefined ? 0 : Number(options.after);
    return this.log.slice(from, from + (options.max_count ?? 1000)).map(copy);
  }

  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions): Subscription {
    return this.subscribeToAllInBatches(async (events) => handler(events[0]), {
      ...options,
      max_batch_size: 1,
    });
  }

  /** See {@link EventStore.subscribeToAllInBatches}: hands over what the log holds beyond the last batch. */
  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions): Subscription {
    const maxBatch = options.max_batch_size ?? 500;
    let checkpoint = options.after === null ? 0 : Number(options.after);
    let stopped = false;
    let wake: () => void = () => undefined;
    const listener = () => wake();
    this.listeners.add(listener);
    const running = (async () => {
      while (!stopped) {
        if (checkpoint < this.log.length) {
          const batch = this.log.slice(checkpoint, checkpoint + maxBatch).map(copy);
          try {
            await handler(batch);
          } catch (error) {
            stopped = true;
            options.onError?.(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          checkpoint += batch.length;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        this.listeners.delete(listener);
        wake();
        await running;
      },
    };
  }

  async headPosition(): Promise<bigint | null> {
    this.assertOpen();
    return this.log.length === 0 ? null : BigInt(this.log.length);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.listeners]) wake();
  }

  /** The result of a re-append of ids already stored exactly where this append would put them, else `null`. */
  private idempotentReplay(
    stream: readonly RecordedEvent[],
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): AppendResult | null {
    const first =
      expected === 'no_stream'
        ? 0
        : expected === 'any'
          ? stream.findIndex((e) => e.id === events[0].id)
          : Number(expected) + 1;
    if (first < 0 || first + events.length > stream.length) return null;
    const same = events.every((event, i) => stream[first + i].id === event.id);
    if (!same) return null;
    const last = stream[first + events.length - 1];
    return { next_expected_revision: last.revision, position: last.position };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('in-memory event store is closed');
  }
}

function copy(event: RecordedEvent): RecordedEvent {
  return structuredClone(event);
}
