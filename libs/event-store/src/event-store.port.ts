/**
 * The event store port (ARCHITECTURE.md "Event store"): one stream per ticket and per workflow definition,
 * appends guarded by an expected revision, reads of one stream or of the global log, and catch-up
 * subscriptions from a checkpoint. Two adapters implement it (PostgreSQL, EventStoreDB) and share one
 * contract test suite (`event-store.contract.ts`).
 *
 * Units and numbering:
 * - a stream's **revision** is the 0-based index of an event within its stream (`bigint`);
 * - a **position** is the event's place in the global, commit-ordered log (`bigint`, strictly increasing in
 *   the order a subscriber observes events; adapters may leave holes but never deliver a lower position
 *   after a higher one);
 * - a **checkpoint** is the last position a subscriber has fully handled (`null` = from the very start).
 */

/** An event to append. `id` is the idempotency key: re-appending the same ids is a no-op (see `append`). */
export interface NewEvent<Type extends string = string, Data = Record<string, unknown>> {
  /** UUID; deterministic ids (e.g. derived from the command id) make retried appends idempotent. */
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** Metadata carried by every event (TICKETS.md section 7: actor, time, correlation and causation). */
export interface EventMetadata {
  /** The command that caused this event (its `command_id`, the idempotency key). */
  readonly command_id: string;
  readonly correlation_id: string;
  /** Id of the message that caused this one (for commands published straight to Kafka: the command id). */
  readonly causation_id: string;
  /** Shortname of the user (or internal service) on whose behalf the command ran. */
  readonly actor: string;
  /** ISO-8601 instant at which the command was issued (`issued_at`), the event's business time. */
  readonly occurred_at: string;
  readonly [key: string]: unknown;
}

/** An event as read back from the store. */
export interface RecordedEvent<Type extends string = string, Data = Record<string, unknown>> extends NewEvent<
  Type,
  Data
> {
  readonly stream_id: string;
  /** 0-based index of the event within its stream. */
  readonly revision: bigint;
  /** Place in the global log (see the module doc). */
  readonly position: bigint;
  /** ISO-8601 instant at which the store committed the event. */
  readonly recorded_at: string;
}

/**
 * Expected state of a stream at append:
 * - `'no_stream'`: the stream must not exist (used to enforce key uniqueness, TICKETS.md section 1);
 * - `'any'`: no check;
 * - a `bigint`: the revision of the stream's last event, as read by the caller.
 */
export type ExpectedRevision = 'no_stream' | 'any' | bigint;

export interface AppendResult {
  /** Revision of the last event appended (or already present, for an idempotent re-append). */
  readonly next_expected_revision: bigint;
  /** Global position of the last event appended. */
  readonly position: bigint;
}

/** Options for reading one stream. */
export interface ReadStreamOptions {
  /** First revision to return (inclusive); default 0. */
  readonly from_revision?: bigint;
  /** Maximum number of events; default all. */
  readonly max_count?: number;
}

/** One append of {@link EventStore.appendMany}: the arguments of {@link EventStore.append}. */
export interface AppendRequest {
  readonly stream_id: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
}

/**
 * The outcome of one append of {@link EventStore.appendMany}, settled on its own: `error` is what `append`
 * would have thrown for it alone (`ExpectedRevisionConflictError`, `DuplicateEventIdError`, `RangeError`,
 * or a connection error).
 */
export type AppendOutcome =
  { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: Error };

/** Options for reading many streams at once ({@link EventStore.readStreams}). */
export interface ReadStreamsOptions {
  /** Maximum number of events per stream, from revision 0; default all (`1`: each stream's first event). */
  readonly max_count?: number;
}

/** Options for reading the global log. */
export interface ReadAllOptions {
  /** Return events whose position is strictly greater than this checkpoint; `null`/absent = from start. */
  readonly after?: bigint | null;
  /** Maximum number of events per call; default 1000. */
  readonly max_count?: number;
}

/** Handler invoked by a catch-up subscription, once per event, in position order. */
export type SubscriptionHandler = (event: RecordedEvent) => Promise<void>;

/**
 * Handler invoked by a batched catch-up subscription with the events the store has ready (1 to
 * `max_batch_size` of them, never empty), in position order; the next batch follows after the promise resolves.
 */
export type BatchSubscriptionHandler = (events: readonly RecordedEvent[]) => Promise<void>;

/** A running subscription; `stop()` resolves once the handler is no longer running. */
export interface Subscription {
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  /** Start after this checkpoint (`null` = from the start of the log). */
  readonly after: bigint | null;
  /** Called when the subscription fails for good (handler error or lost connection after retries). */
  readonly onError?: (error: Error) => void;
}

/** Options of {@link EventStore.subscribeToAllInBatches}. */
export interface BatchSubscribeOptions extends SubscribeOptions {
  /** Most events per batch; default 500. The store never waits to fill a batch: it hands over what it has. */
  readonly max_batch_size?: number;
}

/**
 * The store. Every method may throw `ExpectedRevisionConflictError` (append only) or the driver's own
 * connection errors; adapters translate store-specific concurrency errors into the core error.
 */
export interface EventStore {
  /**
   * Appends `events` atomically to `streamId` if the stream is at `expected`.
   * Idempotent: if every event id is already in the stream at the positions this append would give them,
   * the call succeeds without writing and returns the existing revision/position. Ids already stored but
   * not where this append would put them do not make it idempotent: the expected revision is checked as usual.
   * @throws ExpectedRevisionConflictError when the stream is not at `expected` (incl. `'no_stream'` on an
   *   existing stream).
   * @throws DuplicateEventIdError (`event-store.errors.ts`, PostgreSQL only: ids are unique store-wide there)
   *   when the stream is at `expected` but an event id is already stored elsewhere or repeated in `events`.
   * @throws RangeError when `events` is empty or `expected` is a negative revision.
   */
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;

  /**
   * Appends to several streams in as few round-trips as the store allows, with the semantics of `append` for
   * each request: expected revisions are checked one by one, so one stream's conflict fails only its own
   * request. Requests are applied in the given order (a later request to the same stream sees the earlier
   * one). Resolves with one outcome per request, in order; rejects only on a programming error.
   * PostgreSQL: one statement in one transaction (one commit, positions still gap-free and visible in order);
   * EventStoreDB: the appends pipelined on the one gRPC connection.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<AppendOutcome[]>;

  /** Reads one stream forwards; an unknown stream yields `[]`. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /**
   * Reads several streams forwards in one go (PostgreSQL: one query), each from revision 0 and at most
   * `options.max_count` events. The map holds every requested id; an unknown stream maps to `[]`.
   */
  readStreams(
    streamIds: readonly string[],
    options?: ReadStreamsOptions,
  ): Promise<Map<string, RecordedEvent[]>>;

  /** Reads the global log forwards, in position order, never skipping an event committed late. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Catch-up subscription to the global log: delivers every event after `options.after`, then live ones,
   * in position order, one at a time (the next is delivered after the handler's promise resolves). An event
   * committed late by a concurrent writer is never skipped (the "sequence gap" bug class).
   */
  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions): Subscription;

  /**
   * The same catch-up subscription, delivering the events in batches: each call gets the events the store has
   * ready after the previous batch (a page read during catch-up, what arrived meanwhile once live), at most
   * `max_batch_size`, in position order, each event exactly once per subscription. A handler error stops the
   * subscription (`onError`) as in {@link subscribeToAll}; `stop()` waits for the in-flight batch.
   */
  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions): Subscription;

  /** Position of the last event in the global log (`null` if empty): used for lag metrics. */
  headPosition(): Promise<bigint | null>;

  /** Resolves when the store is reachable; throws otherwise (health checks). */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Thrown by `append` when the stream is not at the expected revision (emmett's core error). */
export class ExpectedRevisionConflictError extends Error {
  override readonly name = 'ExpectedRevisionConflictError';
  constructor(
    readonly stream_id: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${stream_id} is at revision ${String(actual)}, expected ${String(expected)}`);
  }
}
