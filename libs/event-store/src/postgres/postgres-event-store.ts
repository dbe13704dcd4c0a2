import { Client, DatabaseError, Pool, type ClientConfig } from 'pg';
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
import { assertAppendable, DuplicateEventIdError, settleAppend } from '../event-store.errors';
import {
  EXPECTED_ANY,
  EXPECTED_NO_STREAM,
  migrationStatements,
  notifyChannel,
  SCHEMA_NAME,
} from './postgres-event-store.schema';

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** libpq-style URL, e.g. `postgres://tickets:tickets@127.0.0.1:5433/tickets`. */
  readonly connectionString: string;
  /** Schema holding the tables (`/^[a-z_][a-z0-9_]{0,53}$/`); default `event_store`. */
  readonly schema?: string;
  /** Size of the connection pool; default 10. Each store with live subscriptions also holds one LISTEN connection. */
  readonly poolMax?: number;
  /** Subscriptions poll at this interval (ms) when no NOTIFY wakes them; default 250. */
  readonly pollIntervalMs?: number;
  /** Events fetched per `readAll` round-trip by subscriptions; default 500. */
  readonly subscriptionBatchSize?: number;
  /** How long (ms) to wait for a new connection, or for a free one in the pool, before failing; default 10 000. */
  readonly connectionTimeoutMillis?: number;
  /** Consecutive failed reads a subscription retries (with back-off) before giving up; default 5. */
  readonly subscriptionRetries?: number;
  /**
   * Test hooks: with `beforeCommit`, `append` runs in an explicit transaction and awaits the hook after the
   * events are written and their positions allocated, before COMMIT (used to prove that a slow writer
   * cannot make subscribers skip its events). Not for production use: it lengthens the critical section.
   */
  readonly testHooks?: {
    readonly beforeCommit?: (pending: {
      readonly stream_id: string;
      readonly position: bigint;
    }) => Promise<void>;
  };
}

interface AppendRow {
  readonly outcome: 'ok' | 'idempotent' | 'conflict' | 'duplicate_id';
  readonly stream_revision: string | null;
  readonly last_position: string | null;
}

interface EventRow {
  readonly position: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly event_id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: RecordedEvent['metadata'];
  readonly recorded_at: Date;
}

const DEFAULT_READ_ALL_MAX = 1000;
const UNIQUE_VIOLATION = '23505';

/**
 * Event store on PostgreSQL (ARCHITECTURE.md "Event store"), through a `pg` pool.
 *
 * Table `<schema>.events(position, stream_id, revision, event_id, type, data jsonb, metadata jsonb,
 * recorded_at)`, created by {@link migrate}. Every append is one round-trip to the plpgsql function
 * `append_events`, which locks a single-row position counter, checks the expected revision and idempotency,
 * inserts, bumps the counter and NOTIFYs, all under that lock until commit: positions are gap-free
 * (1, 2, 3, ...) and become visible strictly in position order, so `readAll` and subscriptions never skip an
 * event committed late (see `postgres-event-store.schema.ts` for the argument). The price is that appends
 * are serialised store-wide: throughput is bounded by one commit (one WAL flush) at a time.
 *
 * Subscriptions catch up by polling `readAll` in batches and, once live, wait for NOTIFY on
 * `<schema>_appended` (fallback poll every `pollIntervalMs`).
 */
export class PostgresEventStore implements EventStore {
  /** The schema this store lives in. */
  readonly schema: string;
  private readonly pool: Pool;
  private readonly channel: string;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly listener: NotificationListener;
  private closed = false;

  /** @throws RangeError when `schema` is not a plain lower-case identifier. */
  constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'event_store';
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new RangeError(`invalid event store schema name ${JSON.stringify(this.schema)}`);
    }
    this.channel = notifyChannel(this.schema);
    const connectionTimeoutMillis = options.connectionTimeoutMillis ?? 10_000;
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis,
      keepAlive: true,
    });
    // An idle client losing its connection is reported here; the next query reports it to its caller.
    this.pool.on('error', () => undefined);
    this.listener = new NotificationListener(
      { connectionString: options.connectionString, connectionTimeoutMillis, keepAlive: true },
      this.channel,
    );
  }

  /**
   * Creates the schema, tables and function if missing (idempotent, safe to run concurrently: serialised by
   * an advisory lock). Replaces the function body, so a newer adapter upgrades it in place.
   */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const statement of migrationStatements(this.schema)) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * See {@link EventStore.append}. Positions of one append are consecutive.
   * @throws ExpectedRevisionConflictError when the stream is not at `expected`.
   * @throws DuplicateEventIdError when the stream is at `expected` but an event id is already stored elsewhere
   *   (ids are unique store-wide) or repeated within `events`.
   * @throws RangeError on an empty `events` or a negative expected revision.
   */
  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    assertAppendable(events, expected);
    const params = [streamId, encodeExpected(expected), encodeEvents(events), this.channel];
    const sql = `SELECT outcome, stream_revision, last_position FROM "${this.schema}".append_events($1, $2::bigint, $3::jsonb, $4)`;
    let row: AppendRow;
    try {
      [row] = await this.runAppend(sql, params, streamId);
    } catch (error) {
      throw await this.translateAppendError(error, streamId, expected, events);
    }
    return appendResultOf(row, streamId, expected, events);
  }

  /**
   * See {@link EventStore.appendMany}: one round-trip to `append_events_many`, i.e. one transaction and one
   * commit for every valid request (group commit). Should that statement fail as a whole (a unique violation
   * from a writer that bypassed `append_events`), each request is retried alone, in order, so that one
   * request's failure stays its own.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const outcomes: (AppendOutcome | undefined)[] = requests.map((request) => {
      try {
        assertAppendable(request.events, request.expected);
        return undefined;
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    });
    const valid = requests.flatMap((request, index) => (outcomes[index] ? [] : [{ request, index }]));
    if (valid.length === 0) return outcomes as AppendOutcome[];
    const appends = valid.map(({ request }) => ({
      stream_id: request.stream_id,
      expected: encodeExpected(request.expected),
      events: request.events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })),
    }));
    const sql = `SELECT ord, outcome, stream_revision, last_position FROM "${this.schema}".append_events_many($1::jsonb, $2) ORDER BY ord`;
    let rows: (AppendRow & { ord: string })[];
    try {
      rows = await this.runAppend(sql, [JSON.stringify(appends), this.channel], valid[0].request.stream_id);
    } catch (error) {
      if (!(error instanceof DatabaseError)) {
        for (const { index } of valid) outcomes[index] = { ok: false, error: error as Error };
        return outcomes as AppendOutcome[];
      }
      for (const { request, index } of valid) {
        outcomes[index] = await settleAppend(
          this.append(request.stream_id, request.events, request.expected),
        );
      }
      return outcomes as AppendOutcome[];
    }
    rows.forEach((row, i) => {
      const { request, index } = valid[i];
      outcomes[index] = settleSync(() =>
        appendResultOf(row, request.stream_id, request.expected, request.events),
      );
    });
    return outcomes as AppendOutcome[];
  }

  /** See {@link EventStore.readStream}; revisions ascending. */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at
         FROM "${this.schema}".events WHERE stream_id = $1 AND revision >= $2::bigint
         ORDER BY revision LIMIT $3`,
      [streamId, (options.from_revision ?? 0n).toString(), options.max_count ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  /** See {@link EventStore.readStreams}: one query (a lateral join per requested stream), revisions ascending. */
  async readStreams(
    streamIds: readonly string[],
    options: ReadStreamsOptions = {},
  ): Promise<Map<string, RecordedEvent[]>> {
    const unique = [...new Set(streamIds)];
    const streams = new Map<string, RecordedEvent[]>(unique.map((id) => [id, []]));
    if (unique.length === 0) return streams;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT e.position, e.stream_id, e.revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at
         FROM unnest($1::text[]) AS s(id)
         CROSS JOIN LATERAL (
           SELECT * FROM "${this.schema}".events ev WHERE ev.stream_id = s.id ORDER BY ev.revision LIMIT $2
         ) e
         ORDER BY e.stream_id, e.revision`,
      [unique, options.max_count ?? null],
    );
    for (const row of rows) streams.get(row.stream_id)!.push(toRecordedEvent(row));
    return streams;
  }

  /**
   * See {@link EventStore.readAll}. One statement, one snapshot: by the counter lock the visible positions
   * form a prefix of the log, so the page returned is contiguous and nothing below it can appear later.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at
         FROM "${this.schema}".events WHERE position > $1::bigint ORDER BY position LIMIT $2`,
      [(options.after ?? 0n).toString(), options.max_count ?? DEFAULT_READ_ALL_MAX],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * See {@link EventStore.subscribeToAll}. Catch-up by `readAll` pages of `subscriptionBatchSize`; when a
   * page comes back short the subscription is live and sleeps until NOTIFY or `pollIntervalMs`. A handler
   * error stops the subscription and is passed to `onError`; read errors are retried `subscriptionRetries`
   * times with back-off (100 ms doubling, at most 2 s) before the same.
   */
  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions): Subscription {
    return this.openSubscription(
      async (events, stopped) => {
        for (const event of events) {
          if (stopped()) return;
          await handler(event);
        }
      },
      options,
      this.options.subscriptionBatchSize ?? 500,
    );
  }

  /**
   * See {@link EventStore.subscribeToAllInBatches}: the same loop, each page read (at most `max_batch_size`
   * events, default 500) handed over whole.
   */
  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions): Subscription {
    return this.openSubscription((events) => handler(events), options, options.max_batch_size ?? 500);
  }

  private openSubscription(handler: PageHandler, options: SubscribeOptions, batchSize: number): Subscription {
    if (this.closed) throw new Error('event store is closed');
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`invalid subscription batch size ${batchSize}`);
    const subscription = new PostgresSubscription(
      {
        readAll: (after, maxCount) => this.readAll({ after, max_count: maxCount }),
        listener: this.listener,
        pollIntervalMs: this.options.pollIntervalMs ?? 250,
        batchSize,
        retries: this.options.subscriptionRetries ?? 5,
        onStopped: (stopped) => this.subscriptions.delete(stopped),
      },
      handler,
      options,
    );
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  /** See {@link EventStore.headPosition}: the highest committed position (`null` when the log is empty). */
  async headPosition(): Promise<bigint | null> {
    const { rows } = await this.pool.query<{ head: string | null }>(
      `SELECT max(position) AS head FROM "${this.schema}".events`,
    );
    return rows[0]?.head == null ? null : BigInt(rows[0].head);
  }

  /** See {@link EventStore.ping}: `SELECT 1` through the pool. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Stops every subscription (waiting for in-flight handlers), then closes the LISTEN connection and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.listener.close();
    await this.pool.end();
  }

  /** Autocommit single statement (one round-trip), or an explicit transaction when a test hook is set. */
  private async runAppend<Row extends AppendRow>(
    sql: string,
    params: unknown[],
    streamId: string,
  ): Promise<Row[]> {
    const beforeCommit = this.options.testHooks?.beforeCommit;
    if (!beforeCommit) {
      const { rows } = await this.pool.query<Row>(sql, params);
      return rows;
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(sql, params);
      const written = rows.filter((row) => row.outcome === 'ok');
      if (written.length > 0) {
        await beforeCommit({
          stream_id: streamId,
          position: BigInt(written[written.length - 1].last_position!),
        });
      }
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * A unique violation can only come from a writer that bypassed `append_events` (or from ids repeated in
   * one batch); it is mapped to the port's errors all the same.
   */
  private async translateAppendError(
    error: unknown,
    streamId: string,
    expected: ExpectedRevision,
    events: readonly NewEvent[],
  ): Promise<unknown> {
    if (!(error instanceof DatabaseError) || error.code !== UNIQUE_VIOLATION) return error;
    if (error.constraint === 'events_event_id_key') {
      return new DuplicateEventIdError(
        streamId,
        events.map((event) => event.id),
      );
    }
    if (error.constraint === 'events_stream_revision_key') {
      const [last] = await this.readLastRevision(streamId).catch(() => [undefined]);
      return new ExpectedRevisionConflictError(streamId, expected, last ?? 'no_stream');
    }
    return error;
  }

  private async readLastRevision(streamId: string): Promise<[bigint | undefined]> {
    const { rows } = await this.pool.query<{ last: string | null }>(
      `SELECT max(revision) AS last FROM "${this.schema}".events WHERE stream_id = $1`,
      [streamId],
    );
    return [rows[0]?.last == null ? undefined : BigInt(rows[0].last)];
  }
}

function encodeExpected(expected: ExpectedRevision): string {
  return expected === 'no_stream'
    ? EXPECTED_NO_STREAM
    : expected === 'any'
      ? EXPECTED_ANY
      : expected.toString();
}

function encodeEvents(events: readonly NewEvent[]): string {
  return JSON.stringify(events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })));
}

/**
 * The port's answer to one `append_events` row.
 * @throws ExpectedRevisionConflictError, DuplicateEventIdError as `append` documents
 */
function appendResultOf(
  row: AppendRow,
  streamId: string,
  expected: ExpectedRevision,
  events: readonly NewEvent[],
): AppendResult {
  switch (row.outcome) {
    case 'ok':
    case 'idempotent':
      return { next_expected_revision: BigInt(row.stream_revision!), position: BigInt(row.last_position!) };
    case 'conflict':
      throw new ExpectedRevisionConflictError(
        streamId,
        expected,
        row.stream_revision === null ? 'no_stream' : BigInt(row.stream_revision),
      );
    case 'duplicate_id':
      throw new DuplicateEventIdError(
        streamId,
        events.map((event) => event.id),
      );
    default: {
      const _: never = row.outcome;
      throw new Error(`unexpected append outcome ${String(_)}`);
    }
  }
}

function settleSync(append: () => AppendResult): AppendOutcome {
  try {
    return { ok: true, result: append() };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    stream_id: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recorded_at: row.recorded_at.toISOString(),
  };
}

/**
 * One LISTEN connection per store, shared by its subscriptions, opened on first use. If it fails, waiters
 * are simply not woken early and the subscriptions fall back to polling; the next wait reconnects.
 */
class NotificationListener {
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
  ) {}

  /** Registers `wake` for every notification on the channel; returns the unregister function. */
  register(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => {
      this.wakers.delete(wake);
    };
  }

  /** Makes sure LISTEN is active (best effort: resolves even when the connection cannot be made). */
  async ensureListening(): Promise<void> {
    if (this.client || this.closed) return;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    await this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    const drop = () => {
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => {
      if (message.channel === this.channel) for (const wake of this.wakers) wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
    } catch {
      drop();
    }
  }
}

/** Handles one page read by a subscription; `stopped()` turns true once `stop()` was called. */
type PageHandler = (events: readonly RecordedEvent[], stopped: () => boolean) => Promise<void>;

interface SubscriptionDeps {
  readonly readAll: (after: bigint | null, maxCount: number) => Promise<RecordedEvent[]>;
  readonly listener: NotificationListener;
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  readonly retries: number;
  readonly onStopped: (subscription: PostgresSubscription) => void;
}

/** The polling + NOTIFY loop behind {@link PostgresEventStore.subscribeToAll}. */
class PostgresSubscription implements Subscription {
  private checkpoint: bigint | null;
  private stopped = false;
  private notified = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();
  private unregister: () => void = () => undefined;

  constructor(
    private readonly deps: SubscriptionDeps,
    private readonly handler: PageHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.checkpoint = options.after;
  }

  start(): void {
    this.unregister = this.deps.listener.register(() => {
      this.notified = true;
      this.wakeUp?.();
    });
    this.loop = this.run();
  }

  /** Resolves once the loop has exited, i.e. after the in-flight handler (if any) has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    try {
      while (!this.stopped) {
        await this.deps.listener.ensureListening();
        // Reset before reading: a NOTIFY arriving during the read or the handlers means "read again".
        this.notified = false;
        let batch: RecordedEvent[];
        try {
          batch = await this.deps.readAll(this.checkpoint, this.deps.batchSize);
          failures = 0;
        } catch (error) {
          failures += 1;
          if (failures > this.deps.retries) throw error;
          await this.sleep(Math.min(100 * 2 ** (failures - 1), 2000));
          continue;
        }
        if (this.stopped) return;
        if (batch.length > 0) {
          await this.handler(batch, () => this.stopped);
          this.checkpoint = batch[batch.length - 1].position;
        }
        if (batch.length < this.deps.batchSize && !this.notified) await this.sleep(this.deps.pollIntervalMs);
      }
    } catch (error) {
      if (!this.stopped) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.stopped = true;
      this.unregister();
      this.deps.onStopped(this);
    }
  }

  /** Sleeps `ms`, or less when woken by NOTIFY or `stop()`. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
