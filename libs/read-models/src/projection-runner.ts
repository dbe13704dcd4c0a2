import { streamCategory } from '@tickets/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tickets/event-store';
import type { CheckpointStore } from './checkpoints/projection-checkpoints';
import { MemoryParkedEvents, type ParkedEventStore } from './parking/parked-events';
import type { ApplyOutcome, Projection, RunnerOutcome } from './projection';
import { isTransientError } from './shared/transient-errors';

/** The logging the runner needs; NestJS's `Logger` and `console` both fit. */
export interface ProjectionLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, trace?: string): void;
}

/** Options of {@link ProjectionRunner}. Durations in milliseconds. */
export interface ProjectionRunnerOptions {
  /** Checkpoint name (config `PROJECTION_NAME`). */
  readonly name: string;
  readonly store: EventStore;
  /** The projections; each receives the events of its `categories`, in position order. */
  readonly projections: readonly Projection[];
  readonly checkpoints: CheckpointStore;
  /**
   * Where events a projection cannot apply are parked: `MongoParkedEvents` (`parked_events`, shared by all
   * runners) in the services and the rebuild; default a `MemoryParkedEvents` (lost with the process).
   */
  readonly parking?: ParkedEventStore;
  /** Most events handed to the projections at once (default 500): what the subscription has ready, up to this. */
  readonly batchSize?: number;
  /** Store the checkpoint after this many processed events (default 100; at most once per batch)... */
  readonly checkpointEvery?: number;
  /** ...and at least this often while events are processed (default 200). Replays are no-ops, so batching is safe. */
  readonly checkpointIntervalMs?: number;
  /** `lag().stalled` once the oldest waiting event has waited this long for the runner (default 30 000). */
  readonly stallAfterMs?: number;
  /** `lag()` counts waiting events up to this many (default 1000); beyond, `behind` is a lower bound. */
  readonly lagCountLimit?: number;
  /** Back-off of applies retried after a transient fault and of re-subscriptions: first delay and cap (defaults 100 and 5000). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Wall clock in ms since the epoch (default `Date.now`); injected by tests. */
  readonly clock?: () => number;
  readonly logger?: ProjectionLogger;
  /** Called once per (projection, event) after the apply or the parking, e.g. to count `projection_events_applied_total`. */
  readonly onApplied?: (projection: string, outcome: RunnerOutcome, event: RecordedEvent) => void;
}

/** A snapshot of the runner's own progress (no I/O). Positions are global log positions. */
export interface ProjectionRunnerStatus {
  readonly name: string;
  readonly running: boolean;
  /** Last event fully processed by every projection (`null`: none since the very start). */
  readonly position: bigint | null;
  /** Last checkpoint stored in `projection_checkpoints`. */
  readonly saved_position: bigint | null;
  /** `recorded_at` (ISO-8601) of the last processed event (`null`: none processed since start). */
  readonly last_recorded_at: string | null;
  /** Events processed since `start()`. */
  readonly events_processed: number;
  /** Wall-clock ms of the last processed event, or of `start()` before the first. */
  readonly last_progress_at: number | null;
  /** Message of the last apply/subscription failure (`null` once an event is processed again). */
  readonly last_error: string | null;
}

/** Lag of the read models behind the event store (ARCHITECTURE.md "Read models"; `GET /health`, `GET /metrics`). */
export interface ProjectionLag extends ProjectionRunnerStatus {
  /** Position of the last event in the store (`null`: empty store). */
  readonly head_position: bigint | null;
  /** Events in the store after `position`, counted up to `lagCountLimit` (then a lower bound, see `behind_capped`). */
  readonly behind: number;
  readonly behind_capped: boolean;
  /** Age in ms of the oldest waiting event (`now - its recorded_at`); 0 when nothing waits. */
  readonly lag_ms: number;
  /** `now - last_recorded_at` in ms (`null` before the first event); grows while the store is idle. */
  readonly ms_since_last_event: number | null;
  /**
   * How long in ms the oldest waiting event has waited for the runner: since it was recorded or since the
   * runner last made progress, whichever is later (0 when nothing waits).
   */
  readonly waiting_ms: number;
  /** `waiting_ms >= stallAfterMs`: the runner is stuck (a quiet store followed by a new event is not a stall). */
  readonly stalled: boolean;
  /** Parked events of this runner (`parked_events`), in total and per projection; degraded while non-zero. */
  readonly parked: number;
  readonly parked_by_projection: Readonly<Record<string, number>>;
  /** When the oldest parked event was parked (ISO-8601; `null`: none). */
  readonly oldest_parked_at: string | null;
}

/** What {@link ProjectionRunner.reapplyParked} did. */
export interface ReapplyResult {
  /** Parked events applied and removed from `parked_events`. */
  readonly reapplied: number;
  /** Parked events that failed again or wait behind one that did (still parked). */
  readonly still_parked: number;
  /** Streams whose parked events are all applied now (their documents' `parked` mark is cleared). */
  readonly streams_cleared: number;
}

/** An apply failed for a reason retrying will not fix (not `isTransientError`): the event is parked. */
class PermanentApplyError extends Error {
  override readonly name = 'PermanentApplyError';
  constructor(override readonly cause: unknown) {
    super(messageOf(cause));
  }
}

/**
 * The one projection runner (STYLE.md "one projection runner"): loads the checkpoint `name`, subscribes to the
 * whole log after it in batches (what the store has ready, up to `batchSize`), routes each batch's events by
 * stream category to the projections (in registration order; `applyBatch` when a projection has it), and
 * stores the checkpoint at most once per batch.
 *
 * Failures (docs/read-models.md "Operations"): a transient fault (`isTransientError`: MongoDB unreachable, no
 * primary, a write conflict...) is retried in place with back-off, so order is kept and nothing is skipped
 * (the lag shows the stall). Any other error means the event cannot be applied as it is: the batch is split
 * in halves until the failing event is isolated, and that event is **parked** (a `parked_events` record, the
 * stream's document marked `parked`); later events of its stream are parked behind it (they cannot apply in
 * order) while all other streams flow on. {@link reapplyParked} re-applies them after a fix. A failed
 * subscription is re-opened from the last processed position. `stop()` lets the in-flight batch finish (or
 * abandons its retries) and stores the checkpoint.
 */
export class ProjectionRunner {
  private readonly routes = new Map<string, Projection[]>();
  /** Per projection: streams with parked events -> position of the first one (loaded at start). */
  private readonly parkedStreams = new Map<string, Map<string, bigint>>();
  private readonly clock: () => number;
  private readonly logger: ProjectionLogger;
  private readonly parking: ParkedEventStore;
  private subscription: Subscription | null = null;
  private running = false;
  private stopping = false;
  private position: bigint | null = null;
  private savedPosition: bigint | null = null;
  private unsaved = 0;
  private lastRecordedAt: string | null = null;
  private eventsProcessed = 0;
  private lastProgressAt: number | null = null;
  private lastError: string | null = null;
  private saving: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay: number;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? console;
    this.parking = options.parking ?? new MemoryParkedEvents();
    this.restartDelay = options.retryInitialMs ?? 100;
    for (const projection of options.projections) {
      for (const category of projection.categories) {
        this.routes.set(category, [...(this.routes.get(category) ?? []), projection]);
      }
    }
  }

  /**
   * Loads the checkpoint and subscribes after it. Resolves once subscribed (catch-up continues in the
   * background). @throws Error if already running; the checkpoint store's error if it cannot be read.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`projection runner ${this.options.name} is already running`);
    this.position = await this.options.checkpoints.load(this.options.name);
    this.savedPosition = this.position;
    for (const projection of this.options.projections) {
      this.parkedStreams.set(
        projection.name,
        await this.parking.parkedStreams(this.options.name, projection.name),
      );
    }
    this.running = true;
    this.stopping = false;
    this.lastProgressAt = this.clock();
    this.subscribe();
    this.flushTimer = setInterval(() => void this.saveCheckpoint(), this.options.checkpointIntervalMs ?? 200);
    this.flushTimer.unref();
    this.logger.log(`projection ${this.options.name} started after position ${this.position ?? 'start'}`);
  }

  /** Stops the subscription after the in-flight batch, then stores the checkpoint. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return this.saving;
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.subscription?.stop();
    this.subscription = null;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.saveCheckpoint();
    this.running = false;
    this.logger.log(`projection ${this.options.name} stopped at position ${this.position ?? 'start'}`);
  }

  /** The runner's progress (no I/O). */
  status(): ProjectionRunnerStatus {
    return {
      name: this.options.name,
      running: this.running,
      position: this.position,
      saved_position: this.savedPosition,
      last_recorded_at: this.lastRecordedAt,
      events_processed: this.eventsProcessed,
      last_progress_at: this.lastProgressAt,
      last_error: this.lastError,
    };
  }

  /**
   * The lag behind the store: reads the head position, up to `lagCountLimit` waiting events and the parked
   * events' counts. @throws the store's or MongoDB's error when unreachable.
   */
  async lag(): Promise<ProjectionLag> {
    const status = this.status();
    const head_position = await this.options.store.headPosition();
    const limit = this.options.lagCountLimit ?? 1000;
    let waiting: RecordedEvent[] = [];
    if (head_position !== null && (status.position === null || head_position > status.position)) {
      waiting = await this.options.store.readAll({ after: status.position, max_count: limit });
    }
    const parked = await this.parking.summary(this.options.name);
    const now = this.clock();
    const behind = waiting.length;
    const oldest = waiting[0] ? Date.parse(waiting[0].recorded_at) : NaN;
    // The oldest waiting event waits for the runner since it was recorded, or since the runner last moved on
    // (the runner may have been busy with earlier events until then), whichever is later.
    const waitingSince = Math.max(
      Number.isNaN(oldest) ? -Infinity : oldest,
      status.last_progress_at ?? -Infinity,
    );
    const waiting_ms = behind > 0 && Number.isFinite(waitingSince) ? Math.max(0, now - waitingSince) : 0;
    return {
      ...status,
      head_position,
      behind,
      behind_capped: behind >= limit,
      lag_ms: behind > 0 && !Number.isNaN(oldest) ? Math.max(0, now - oldest) : 0,
      ms_since_last_event: status.last_recorded_at
        ? Math.max(0, now - Date.parse(status.last_recorded_at))
        : null,
      waiting_ms,
      stalled: behind > 0 && waiting_ms >= (this.options.stallAfterMs ?? 30_000),
      parked: parked.total,
      parked_by_projection: parked.by_projection,
      oldest_parked_at: parked.oldest_parked_at?.toISOString() ?? null,
    };
  }

  /**
   * Resolves `true` once the runner has processed the event at `position` (or a later one), `false` after
   * `timeoutMs`. Polls every 10 ms.
   */
  async waitForPosition(position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = this.clock() + timeoutMs;
    while (this.position === null || this.position < position) {
      if (this.clock() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Stores the checkpoint now if it moved (serialised with the batched saves; a failure is logged, not thrown). */
  saveCheckpoint(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const position = this.position;
      if (position === null || position === this.savedPosition) return;
      const unsaved = this.unsaved;
      try {
        await this.options.checkpoints.save(this.options.name, position);
        this.savedPosition = position;
        this.unsaved = Math.max(0, this.unsaved - unsaved);
      } catch (error) {
        // Not fatal: the next save catches up, and a restart from an older checkpoint only replays no-ops.
        this.logger.warn(
          `projection ${this.options.name}: storing checkpoint ${position} failed: ${messageOf(error)}`,
        );
      }
    });
    return this.saving;
  }

  /**
   * Re-applies this runner's parked events after the cause is fixed (`npm run projections:rebuild --
   * --reapply-parked`): per projection and stream, in position order, each event read again from the event
   * store. An applied event's record is removed; once a stream has none left its document's `parked` mark is
   * cleared. The first event that fails again stays parked with `attempts + 1` (and the stream's later ones
   * behind it). The runner need not be started; a running service may park a new event of a stream while this
   * runs: the loop picks it up, and a last one parked after the final check stays visible in `/health`.
   * @throws the driver's error after a transient fault outlasting `stop()`; the store's error.
   */
  async reapplyParked(): Promise<ReapplyResult> {
    let reapplied = 0;
    let still_parked = 0;
    let streams_cleared = 0;
    const records = await this.parking.list(this.options.name);
    for (const projection of this.options.projections) {
      const streams = [
        ...new Set(records.filter((r) => r.projection === projection.name).map((r) => r.stream_id)),
      ];
      for (const stream_id of streams) {
        let failed = false;
        for (;;) {
          const parked = await this.parking.list(this.options.name, {
            projection: projection.name,
            stream_id,
          });
          if (parked.length === 0) break;
          for (const [i, record] of parked.entries()) {
            const position = BigInt(record.position);
            const [event] = await this.options.store.readStream(stream_id, {
              from_revision: BigInt(record.revision),
              max_count: 1,
            });
            try {
              // Compared by id: some EventStoreDB versions leave positions out of stream reads.
              if (!event || event.id !== record.event.id)
                throw new PermanentApplyError(
                  `event ${record.event.id} (${stream_id}@${record.revision}) is not in the event store`,
                );
              const [outcome] = await this.retrying(() => applyEach(projection, [event]));
              this.report(projection, outcome, event);
              await this.parking.remove(this.options.name, projection.name, position);
              reapplied += 1;
            } catch (error) {
              if (!(error instanceof PermanentApplyError)) throw error;
              await this.parking.failedAgain(this.options.name, projection.name, position, error.message);
              this.logger.error(
                `projection ${projection.name}: re-applying parked ${stream_id}@${record.revision} failed again: ${error.message}`,
              );
              still_parked += parked.length - i;
              failed = true;
              break;
            }
          }
          if (failed) break;
        }
        if (!failed) {
          await projection.markParked?.(stream_id, false).catch((error: unknown) => {
            if (isTransientError(error)) throw error;
          });
          this.parkedStreams.get(projection.name)?.delete(stream_id);
          streams_cleared += 1;
        }
      }
    }
    this.logger.log(
      `projection ${this.options.name}: re-applied ${reapplied} parked events, ${still_parked} still parked`,
    );
    return { reapplied, still_parked, streams_cleared };
  }

  private subscribe(): void {
    this.subscription = this.options.store.subscribeToAllInBatches((events) => this.handle(events), {
      after: this.position,
      max_batch_size: this.options.batchSize ?? 500,
      onError: (error) => this.onSubscriptionError(error),
    });
  }

  private onSubscriptionError(error: Error): void {
    if (this.stopping) return;
    this.lastError = error.message;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
    this.logger.error(
      `projection ${this.options.name}: subscription failed, re-subscribing in ${delay} ms: ${error.message}`,
      error.stack,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.subscribe();
    }, delay);
  }

  private async handle(batch: readonly RecordedEvent[]): Promise<void> {
    const position = this.position;
    const events = position === null ? batch : batch.filter((event) => event.position > position); // redelivered after a re-subscribe
    if (events.length === 0) return;
    for (const projection of this.options.projections) {
      const routed = events.filter((event) =>
        this.routes.get(streamCategory(event.stream_id))?.includes(projection),
      );
      if (routed.length === 0) continue;
      await this.forgetReappliedStreams(projection, routed);
      await this.applyOrPark(projection, routed);
    }
    const last = events[events.length - 1];
    this.position = last.position;
    this.lastRecordedAt = last.recorded_at;
    this.lastProgressAt = this.clock();
    this.lastError = null;
    this.restartDelay = this.options.retryInitialMs ?? 100;
    this.eventsProcessed += events.length;
    this.unsaved += events.length;
    if (this.unsaved >= (this.options.checkpointEvery ?? 100)) await this.saveCheckpoint();
  }

  /**
   * Applies `events` (one projection's, position order) as one batch; when that fails for good, splits it in
   * halves (all-or-nothing batches make that safe; without `applyBatch` idempotence does) until the failing
   * event is alone, and parks it. Events of streams already parked are parked behind the first.
   */
  private async applyOrPark(projection: Projection, events: readonly RecordedEvent[]): Promise<void> {
    const parked = this.parkedOf(projection);
    const ready: RecordedEvent[] = [];
    for (const event of events) {
      const first = parked.get(event.stream_id);
      if (first === undefined) ready.push(event);
      else
        await this.park(
          projection,
          event,
          `an earlier event of the stream (position ${first}) is parked`,
          first,
        );
    }
    if (ready.length === 0) return;
    let outcomes: ApplyOutcome[];
    try {
      outcomes = await this.retrying(() => applyEach(projection, ready));
    } catch (error) {
      if (!(error instanceof PermanentApplyError)) throw error;
      if (ready.length === 1) return this.park(projection, ready[0], error.message, null);
      const half = Math.ceil(ready.length / 2);
      await this.applyOrPark(projection, ready.slice(0, half));
      return this.applyOrPark(projection, ready.slice(half));
    }
    ready.forEach((event, i) => this.report(projection, outcomes[i], event));
  }

  /** Drops from the parked set the streams of `events` whose parked events were re-applied meanwhile (by the command). */
  private async forgetReappliedStreams(
    projection: Projection,
    events: readonly RecordedEvent[],
  ): Promise<void> {
    const parked = this.parkedOf(projection);
    for (const stream_id of new Set(events.map((event) => event.stream_id))) {
      if (!parked.has(stream_id)) continue;
      const still = await this.retrying(() =>
        this.parking.isParked(this.options.name, projection.name, stream_id),
      );
      if (!still) parked.delete(stream_id);
    }
  }

  private async park(
    projection: Projection,
    event: RecordedEvent,
    reason: string,
    behind: bigint | null,
  ): Promise<void> {
    const parked = this.parkedOf(projection);
    await this.retrying(() => this.parking.park(this.options.name, projection.name, event, reason, behind));
    if (!parked.has(event.stream_id)) {
      parked.set(event.stream_id, event.position);
      const mark = projection.markParked?.bind(projection);
      // The record is what counts; a mark that cannot be set (e.g. no document id for the stream) is only logged.
      if (mark) {
        await this.retrying(() => mark(event.stream_id, true)).catch((error: unknown) => {
          if (!(error instanceof PermanentApplyError)) throw error;
          this.logger.warn(
            `projection ${projection.name}: marking ${event.stream_id} as parked failed: ${error.message}`,
          );
        });
      }
    }
    this.logger.error(
      `projection ${projection.name}: ${event.type} at ${event.stream_id}@${event.revision} (position ${event.position}) parked: ${reason}`,
    );
    this.options.onApplied?.(projection.name, 'parked', event);
  }

  private report(projection: Projection, outcome: ApplyOutcome, event: RecordedEvent): void {
    if (outcome === 'gap') {
      this.logger.error(
        `projection ${projection.name}: ${event.type} at ${event.stream_id}@${event.revision} (position ${event.position}) ` +
          'skipped: the document is missing or behind (read model wiped without resetting its checkpoint?)',
      );
    }
    this.options.onApplied?.(projection.name, outcome, event);
  }

  private parkedOf(projection: Projection): Map<string, bigint> {
    let parked = this.parkedStreams.get(projection.name);
    if (!parked) this.parkedStreams.set(projection.name, (parked = new Map()));
    return parked;
  }

  /**
   * Runs `work`, retrying transient faults in place with back-off until it succeeds or the runner stops.
   * @throws PermanentApplyError for any other error; the transient error itself once stopping.
   */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    let delay = this.options.retryInitialMs ?? 100;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (error instanceof PermanentApplyError) throw error;
        if (!isTransientError(error)) throw new PermanentApplyError(error);
        // Stopping aborts the retries; the batch stays unprocessed and is applied after the next start.
        if (this.stopping) throw error;
        this.lastError = messageOf(error);
        this.logger.error(
          `projection ${this.options.name}: transient fault, retrying in ${delay} ms: ${this.lastError}`,
          error instanceof Error ? error.stack : undefined,
        );
        await this.sleep(delay);
        if (this.stopping) throw error;
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** `projection.applyBatch`, or `apply` per event when it has none. */
async function applyEach(projection: Projection, events: readonly RecordedEvent[]): Promise<ApplyOutcome[]> {
  if (projection.applyBatch) return projection.applyBatch(events);
  const outcomes: ApplyOutcome[] = [];
  for (const event of events) outcomes.push(await projection.apply(event));
  return outcomes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
