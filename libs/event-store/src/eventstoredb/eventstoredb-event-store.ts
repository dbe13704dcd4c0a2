import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  ExpectedRevisionConflictError,
  type AppendOutcome,
  type AppendRequest,
  type AppendResult,
  type BatchSubscribeOptions,
  type BatchSubscriptionHandler,
  type EventMetadata,
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
import { assertAppendable, settleAppend } from '../event-store.errors';

/** Options of {@link EventStoreDBEventStore}. */
export interface EventStoreDBEventStoreOptions {
  /** EventStoreDB connection string, e.g. `esdb://127.0.0.1:2113?tls=false`. */
  readonly connectionString: string;
  /** Times a subscription re-subscribes from its checkpoint after a dropped connection; default 5. */
  readonly subscriptionRetries?: number;
}

const DEFAULT_READ_ALL_MAX = 1000;
/** How far `headPosition` scans `$all` backwards for a non-system event before settling for the last record. */
const HEAD_SCAN_LIMIT = 1000;

/**
 * Event store on EventStoreDB through `@eventstore/db-client` (ARCHITECTURE.md "Event store": the production
 * default). One EventStoreDB stream per port stream; data and metadata are JSON events.
 *
 * Positions: our `position` is the event's commit position in the transaction log (`Position.commit`). It
 * increases with the log, and EventStoreDB only ever serves `$all` in log order, so there are no sequence
 * gaps to guard against. Since 20.x every gRPC-appended event has `prepare === commit`, which is what lets
 * us rebuild a `Position` from our single bigint (`{commit: p, prepare: p}`).
 *
 * System events (types or streams starting with `$`) are not part of the port's log: they are filtered out
 * of `readAll`, `subscribeToAll` and `headPosition`.
 */
export class EventStoreDBEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EventStoreDBSubscription>();
  private closed = false;

  constructor(private readonly options: EventStoreDBEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
  }

  /**
   * See {@link EventStore.append}; maps to `appendToStream` with `expectedRevision` NO_STREAM, ANY or the
   * revision. Idempotency is the server's: re-appending the same ids where they already are succeeds without
   * writing (guaranteed with a numeric or no-stream expectation, best effort with ANY, per the client docs).
   * @throws ExpectedRevisionConflictError from the server's `WrongExpectedVersionError`.
   * @throws RangeError on an empty `events` or a negative expected revision.
   */
  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertAppendable(events, expected);
    const expectedRevision: AppendExpectedRevision =
      expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : expected;
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((event) =>
          jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata }),
        ),
        { expectedRevision },
      );
      const position =
        result.position?.commit ?? (await this.positionOf(streamId, result.nextExpectedRevision));
      return { next_expected_revision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new ExpectedRevisionConflictError(
          streamId,
          expected,
          typeof actual === 'bigint' ? actual : 'no_stream',
        );
      }
      throw error;
    }
  }

  /**
   * See {@link EventStore.appendMany}: EventStoreDB has no multi-stream transaction, so each request is its own
   * `appendToStream`, all pipelined on the gRPC connection; requests to the same stream run one after another,
   * in the given order.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const tails = new Map<string, Promise<unknown>>();
    return Promise.all(
      requests.map((request) => {
        const previous = tails.get(request.stream_id) ?? Promise.resolve();
        const outcome = previous.then(() =>
          settleAppend(this.append(request.stream_id, request.events, request.expected)),
        );
        tails.set(request.stream_id, outcome);
        return outcome;
      }),
    );
  }

  /** See {@link EventStore.readStreams}: one `readStream` per id, concurrently on the gRPC connection. */
  async readStreams(
    streamIds: readonly string[],
    options: ReadStreamsOptions = {},
  ): Promise<Map<string, RecordedEvent[]>> {
    const unique = [...new Set(streamIds)];
    const read = await Promise.all(unique.map((id) => this.readStream(id, { max_count: options.max_count })));
    return new Map(unique.map((id, index) => [id, read[index]]));
  }

  /** See {@link EventStore.readStream}; a `StreamNotFoundError` from the server yields `[]`. */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: FORWARDS,
        fromRevision: options.from_revision ?? START,
        ...(options.max_count === undefined ? {} : { maxCount: options.max_count }),
      });
      for await (const resolved of read) {
        // Servers older than 22.6 omit positions from stream reads: -1 then (no caller relies on it there).
        if (resolved.event)
          events.push(toRecordedEvent(resolved.event, positionOfStreamEvent(resolved) ?? -1n));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * See {@link EventStore.readAll}. Reads `$all` forwards from `{commit: after, prepare: after}` (the server
   * includes the record at that position; it is dropped here), skipping system events, page after page until
   * `max_count` user events are collected or the log ends.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.max_count ?? DEFAULT_READ_ALL_MAX;
    const events: RecordedEvent[] = [];
    let after = options.after ?? null;
    while (events.length < maxCount) {
      // +1 for the record at `after` that the server returns again; at least 2 so every page makes progress.
      const page = Math.max(2, Math.min(maxCount - events.length + 1, 4096));
      let records = 0;
      for await (const resolved of this.client.readAll({
        direction: FORWARDS,
        fromPosition: toReadPosition(after),
        maxCount: page,
      })) {
        records += 1;
        const event = resolved.event;
        if (!event || (after !== null && event.position.commit <= after)) continue;
        after = event.position.commit;
        if (!isSystemEvent(event) && events.length < maxCount)
          events.push(toRecordedEvent(event, event.position.commit));
      }
      if (records < page) break;
    }
    return events;
  }

  /**
   * See {@link EventStore.subscribeToAll}: a server-side catch-up subscription from `{commit: after, prepare:
   * after}` (exclusive) with `excludeSystemEvents()`, consumed one event at a time (async iteration applies
   * back-pressure). A dropped connection re-subscribes from the checkpoint up to `subscriptionRetries` times;
   * a handler error stops the subscription; both end in `onError`.
   */
  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions): Subscription {
    return this.openSubscription(
      async (events) => {
        for (const event of events) await handler(event);
      },
      options,
      1,
    );
  }

  /**
   * See {@link EventStore.subscribeToAllInBatches}: the same server-side subscription; a batch is handed over
   * when it holds `max_batch_size` events (default 500) or when the client has no further event buffered.
   */
  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions): Subscription {
    return this.openSubscription(handler, options, options.max_batch_size ?? 500);
  }

  private openSubscription(
    handler: BatchSubscriptionHandler,
    options: SubscribeOptions,
    maxBatch: number,
  ): Subscription {
    if (this.closed) throw new Error('event store is closed');
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`invalid subscription batch size ${maxBatch}`);
    const subscription = new EventStoreDBSubscription(
      (after) =>
        this.client.subscribeToAll({ fromPosition: toReadPosition(after), filter: excludeSystemEvents() }),
      handler,
      options,
      maxBatch,
      this.options.subscriptionRetries ?? 5,
      (stopped) => this.subscriptions.delete(stopped),
    );
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  /**
   * See {@link EventStore.headPosition}: reads `$all` backwards from the end and returns the commit position
   * of the newest non-system event; if none is found within 1000 records, the newest record's position (no
   * user event lies beyond it, so it is still a valid head for lag metrics); `null` for an empty log.
   */
  async headPosition(): Promise<bigint | null> {
    let newest: bigint | null = null;
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: HEAD_SCAN_LIMIT,
    })) {
      const event = resolved.event;
      if (!event) continue;
      newest ??= event.position.commit;
      if (!isSystemEvent(event)) return event.position.commit;
    }
    return newest;
  }

  /** See {@link EventStore.ping}: reads one record of `$all` backwards. */
  async ping(): Promise<void> {
    for await (const _ of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      // Reaching the server is the point; the record itself is not needed.
    }
  }

  /** Stops every subscription (waiting for in-flight handlers), then disposes of the gRPC client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  /** Commit position of one stream event, for servers that omit it from the append result. */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    for await (const resolved of this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
      const position = positionOfStreamEvent(resolved);
      if (position !== undefined) return position;
    }
    throw new Error(
      `EventStoreDB returned no position for ${streamId}@${revision} (server older than 22.6?)`,
    );
  }
}

/** `$`-prefixed types (`$metadata`, `$>` links, `$statsCollected`...) and streams belong to the server. */
function isSystemEvent(event: { readonly type: string; readonly streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function toReadPosition(after: bigint | null): ReadPosition {
  return after === null ? START : ({ commit: after, prepare: after } satisfies Position);
}

function positionOfStreamEvent(resolved: ResolvedEvent): bigint | undefined {
  return resolved.event?.position?.commit ?? resolved.commitPosition;
}

function toRecordedEvent(
  event: AllStreamRecordedEvent | NonNullable<ResolvedEvent['event']>,
  position: bigint,
): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    data: asObject(event.data),
    metadata: asObject(event.metadata) as EventMetadata,
    stream_id: event.streamId,
    revision: event.revision,
    position,
    recorded_at: event.created.toISOString(),
  };
}

/** Our events are JSON objects; a binary payload (written by another tool) is decoded as JSON. */
function asObject(value: unknown): Record<string, unknown> {
  if (value instanceof Uint8Array)
    return value.length === 0 ? {} : JSON.parse(Buffer.from(value).toString('utf8'));
  return (value ?? {}) as Record<string, unknown>;
}

/** The async-iteration loop behind {@link EventStoreDBEventStore.subscribeToAll}. */
class EventStoreDBSubscription implements Subscription {
  private checkpoint: bigint | null;
  private stopped = false;
  private current: AllStreamSubscription | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly open: (after: bigint | null) => AllStreamSubscription,
    private readonly handler: BatchSubscriptionHandler,
    private readonly options: SubscribeOptions,
    private readonly maxBatch: number,
    private readonly retries: number,
    private readonly onStopped: (subscription: EventStoreDBSubscription) => void,
  ) {
    this.checkpoint = options.after;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Unsubscribes, then resolves once the in-flight handler (if any) has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.unsubscribe().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.stopped) {
        const subscription = (this.current = this.open(this.checkpoint));
        try {
          let batch: RecordedEvent[] = [];
          for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
            if (this.stopped) return;
            const event = resolved.event;
            const last = batch.length > 0 ? batch[batch.length - 1].position : this.checkpoint;
            if (event && !isSystemEvent(event) && (last === null || event.position.commit > last)) {
              batch.push(toRecordedEvent(event, event.position.commit));
            }
            // Hand over what is ready: a full batch, or nothing more buffered by the client (the stream is a Readable).
            if (batch.length > 0 && (batch.length >= this.maxBatch || subscription.readableLength === 0)) {
              await this.deliver(batch);
              this.checkpoint = batch[batch.length - 1].position;
              batch = [];
              failures = 0;
            }
          }
          if (this.stopped) return;
          throw new Error('EventStoreDB subscription ended unexpectedly');
        } catch (error) {
          if (error instanceof HandlerError || this.stopped) throw error;
          failures += 1;
          if (failures > this.retries) throw error;
          await subscription.unsubscribe().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (failures - 1), 2000)));
        }
      }
    } catch (error) {
      if (!this.stopped) {
        const cause = error instanceof HandlerError ? error.cause : error;
        this.options.onError?.(cause instanceof Error ? cause : new Error(String(cause)));
      }
    } finally {
      this.stopped = true;
      await this.current?.unsubscribe().catch(() => undefined);
      this.onStopped(this);
    }
  }

  private async deliver(events: readonly RecordedEvent[]): Promise<void> {
    try {
      await this.handler(events);
    } catch (error) {
      throw new HandlerError(error);
    }
  }
}

/** Marks an error thrown by the subscriber's handler (never retried) apart from connection errors. */
class HandlerError extends Error {
  constructor(override readonly cause: unknown) {
    super('subscription handler failed');
  }
}
