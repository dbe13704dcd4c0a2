import { streamCategory } from '@tickets/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@tickets/event-store';
import type { CheckpointStore } from './checkpoints/projection-checkpoints';
import type { ApplyOutcome, Projection } from './projection';

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
  /** Store the checkpoint after this many processed events (default 100)... */
  readonly checkpointEvery?: number;
  /** ...and at least this often while events are processed (default 200). Replays are no-ops, so batching is safe. */
  readonly checkpointIntervalMs?: number;
  /** `lag().stalled` once events are waiting and none was processed for this long (default 30 000). */
  readonly stallAfterMs?: number;
  /** `lag()` counts waiting events up to this many (default 1000); beyond, `behind` is a lower bound. */
  readonly lagCountLimit?: number;
  /** Back-off of retried applies and of re-subscriptions: first delay and cap (defaults 100 and 5000). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Wall clock in ms since the epoch (default `Date.now`); injected by tests. */
  readonly clock?: () => number;
  readonly logger?: ProjectionLogger;
  /** Called once per (projection, event) after the apply, e.g. to count `projection_events_applied_total`. */
  readonly onApplied?: (projection: string, outcome: ApplyOutcome, event: RecordedEvent) => void;
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
  /** Events wait (`behind > 0`) and none was processed for `stallAfterMs`. */
  readonly stalled: boolean;
}

/**
 * The one projection runner (STYLE.md "one projection runner"): loads the checkpoint `name`, subscribes to the
 * whole log after it, routes each event by stream category to the projections (in registration order), and
 * stores the checkpoint in batches. A failing apply is retried with back-off, in place, so order is kept and
 * nothing is skipped (the lag then shows the stall); a failed subscription is re-opened from the last
 * processed position. `stop()` lets the in-flight event finish and stores the checkpoint.
 */
export class ProjectionRunner {
  private readonly routes = new Map<string, Projection[]>();
  private readonly clock: () => number;
  private readonly logger: ProjectionLogger;
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
    this.running = true;
    this.stopping = false;
    this.lastProgressAt = this.clock();
    this.subscribe();
    this.flushTimer = setInterval(() => void this.saveCheckpoint(), this.options.checkpointIntervalMs ?? 200);
    this.flushTimer.unref();
    this.logger.log(`projection ${this.options.name} started after position ${this.position ?? 'start'}`);
  }

  /** Stops the subscription after the in-flight event, then stores the checkpoint. Safe to call twice. */
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
   * The lag behind the store: reads the head position and up to `lagCountLimit` waiting events.
   * @throws the store's error when it is unreachable.
   */
  async lag(): Promise<ProjectionLag> {
    const status = this.status();
    const head_position = await this.options.store.headPosition();
    const limit = this.options.lagCountLimit ?? 1000;
    let waiting: RecordedEvent[] = [];
    if (head_position !== null && (status.position === null || head_position > status.position)) {
      waiting = await this.options.store.readAll({ after: status.position, max_count: limit });
    }
    const now = this.clock();
    const behind = waiting.length;
    const oldest = waiting[0] ? Date.parse(waiting[0].recorded_at) : NaN;
    return {
      ...status,
      head_position,
      behind,
      behind_capped: behind >= limit,
      lag_ms: behind > 0 && !Number.isNaN(oldest) ? Math.max(0, now - oldest) : 0,
      ms_since_last_event: status.last_recorded_at ? Math.max(0, now - Date.parse(status.last_recorded_at)) : null,
      stalled: behind > 0 && now - (status.last_progress_at ?? now) >= (this.options.stallAfterMs ?? 30_000),
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
        this.logger.warn(`projection ${this.options.name}: storing checkpoint ${position} failed: ${messageOf(error)}`);
      }
    });
    return this.saving;
  }

  private subscribe(): void {
    this.subscription = this.options.store.subscribeToAll((event) => this.handle(event), {
      after: this.position,
      onError: (error) => this.onSubscriptionError(error),
    });
  }

  private onSubscriptionError(error: Error): void {
    if (this.stopping) return;
    this.lastError = error.message;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
    this.logger.error(`projection ${this.options.name}: subscription failed, re-subscribing in ${delay} ms: ${error.message}`, error.stack);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.subscribe();
    }, delay);
  }

  private async handle(event: RecordedEvent): Promise<void> {
    if (this.position !== null && event.position <= this.position) return; // redelivered after a re-subscribe
    for (const projection of this.routes.get(streamCategory(event.stream_id)) ?? []) {
      const outcome = await this.applyWithRetry(projection, event);
      if (outcome === 'gap') {
        this.logger.error(
          `projection ${projection.name}: ${event.type} at ${event.stream_id}@${event.revision} (position ${event.position}) ` +
            'skipped: the document is missing or behind (read model wiped without resetting its checkpoint?)',
        );
      }
      this.options.onApplied?.(projection.name, outcome, event);
    }
    this.position = event.position;
    this.lastRecordedAt = event.recorded_at;
    this.lastProgressAt = this.clock();
    this.lastError = null;
    this.restartDelay = this.options.retryInitialMs ?? 100;
    this.eventsProcessed += 1;
    this.unsaved += 1;
    if (this.unsaved >= (this.options.checkpointEvery ?? 100)) await this.saveCheckpoint();
  }

  private async applyWithRetry(projection: Projection, event: RecordedEvent): Promise<ApplyOutcome> {
    let delay = this.options.retryInitialMs ?? 100;
    for (;;) {
      try {
        return await projection.apply(event);
      } catch (error) {
        // Stopping aborts the retries; the event stays unprocessed and is applied after the next start.
        if (this.stopping) throw error;
        this.lastError = messageOf(error);
        this.logger.error(
          `projection ${projection.name}: applying ${event.type} at position ${event.position} failed, retrying in ${delay} ms: ${this.lastError}`,
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
