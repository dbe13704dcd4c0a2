import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import type { RecordedEvent } from '@tickets/event-store';
import type { ProjectionLag, RunnerOutcome } from '@tickets/read-models';

/** Metric names of the projection service (docs/read-models.md "Operations"). */
export const PROJECTION_METRICS = {
  lagEvents: 'projection_lag_events',
  lagMs: 'projection_lag_ms',
  eventsApplied: 'projection_events_applied_total',
  parkedEvents: 'projection_parked_events',
  applyLag: 'projection_apply_lag_seconds',
  generation: 'read_model_generation',
  integrationLagEvents: 'integration_events_lag_events',
  integrationLagMs: 'integration_events_lag_ms',
  integrationPublished: 'integration_events_published_total',
} as const;

/** The projections whose parked events are always reported (0 when none), so an alert can compare with 0. */
const PARKING_PROJECTIONS = ['tickets', 'workflows'] as const;

/** How far the integration-event publisher is behind the store (runner lag plus unacknowledged messages). */
export interface IntegrationEventsLag {
  /** Events not yet published: waiting in the store plus queued and not acknowledged by Kafka. */
  readonly events: number;
  /** Age in ms of the oldest event not yet published; 0 when caught up. */
  readonly ms: number;
}

/**
 * The projection's Prometheus metrics, in prom-client's default registry (served by `GET /metrics` of
 * `MetricsModule` in @tickets/platform, with the default process metrics):
 * - `projection_lag_events` (gauge): events in the store after the runner's position (capped, see `ProjectionLag`);
 * - `projection_lag_ms` (gauge): age in ms of the oldest event not yet processed (0 when caught up);
 * - `projection_events_applied_total` (counter, labels `projection`, `outcome`): applies by outcome
 *   (`applied`, `duplicate`, `gap`, `ignored`, `parked`);
 * - `projection_parked_events` (gauge, label `projection`): events parked in `parked_events` by the read model
 *   runner (`tickets`, `workflows`) and the integration-event runner (`integration-events`), 0 when none;
 * - `projection_apply_lag_seconds` (histogram, label `projection`): event committed -> applied;
 * - `read_model_generation` (gauge): the read model generation the runner maintains (docs/read-models.md);
 * - `integration_events_lag_events`, `integration_events_lag_ms` (gauges): what the publisher of
 *   `tickets.events.v1` has not published yet (docs/integration-events.md);
 * - `integration_events_published_total` (counter): messages acknowledged by Kafka.
 * The gauges are computed at scrape time from the sources bound by the runners' owners ({@link bindLag},
 * {@link bindGeneration}, {@link bindIntegrationLag}).
 */
@Injectable()
export class ProjectionMetrics implements OnModuleDestroy {
  private lagSource: (() => Promise<ProjectionLag>) | null = null;
  private generationSource: (() => number | null) | null = null;
  private integrationLagSource: (() => Promise<IntegrationEventsLag>) | null = null;
  private readonly parkedSources: (() => Promise<Pick<ProjectionLag, 'parked_by_projection'>>)[] = [];
  private readonly published: Counter;
  private cached: { at: number; lag: Promise<ProjectionLag> } | null = null;
  private readonly applied: Counter<'projection' | 'outcome'>;
  private readonly applyLag: Histogram<'projection'>;

  constructor() {
    // One registry per process: re-registering (a second app in the same test process) replaces the old metric.
    for (const name of Object.values(PROJECTION_METRICS)) register.removeSingleMetric(name);
    this.applied = new Counter({
      name: PROJECTION_METRICS.eventsApplied,
      help: 'Events applied by each projection, by outcome (applied, duplicate, gap, ignored, parked).',
      labelNames: ['projection', 'outcome'],
    });
    this.applyLag = new Histogram({
      name: PROJECTION_METRICS.applyLag,
      help: 'Time from the event store committing an event to the projection having applied it, in seconds.',
      labelNames: ['projection'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.published = new Counter({
      name: PROJECTION_METRICS.integrationPublished,
      help: 'Public ticket events acknowledged by Kafka on tickets.events.v1 (re-publications included).',
    });
    const generation = () => this.generationSource?.() ?? null;
    new Gauge({
      name: PROJECTION_METRICS.generation,
      help: 'Read model generation (1 = the initial collections, +1 per rebuild) the projection runner maintains.',
      collect() {
        const current = generation();
        if (current !== null) this.set(current);
      },
    });
    const integrationLag = async () => {
      try {
        return (await this.integrationLagSource?.()) ?? null;
      } catch {
        return null;
      }
    };
    new Gauge({
      name: PROJECTION_METRICS.integrationLagEvents,
      help: 'Ticket events not yet published on tickets.events.v1 (waiting in the store or unacknowledged; store part capped).',
      async collect() {
        const current = await integrationLag();
        if (current) this.set(current.events);
      },
    });
    new Gauge({
      name: PROJECTION_METRICS.integrationLagMs,
      help: 'Age in milliseconds of the oldest ticket event not yet published on tickets.events.v1 (0 when caught up).',
      async collect() {
        const current = await integrationLag();
        if (current) this.set(current.ms);
      },
    });
    const lag = () => this.lag();
    const parkedSources = () => this.parkedSources;
    new Gauge({
      name: PROJECTION_METRICS.parkedEvents,
      help: 'Events a projection could not apply and parked (parked_events), per projection; re-apply them after a fix.',
      labelNames: ['projection'],
      async collect() {
        this.reset();
        const lags = await Promise.all(parkedSources().map((source) => source().catch(() => null)));
        for (const current of lags) {
          if (!current) continue;
          for (const [projection, count] of Object.entries(current.parked_by_projection)) this.inc({ projection }, count);
        }
        for (const projection of PARKING_PROJECTIONS) this.inc({ projection }, 0);
      },
    });
    new Gauge({
      name: PROJECTION_METRICS.lagEvents,
      help: 'Events in the event store after the projection checkpoint (capped at the lag count limit).',
      async collect() {
        const current = await lag();
        if (current) this.set(current.behind);
      },
    });
    new Gauge({
      name: PROJECTION_METRICS.lagMs,
      help: 'Age in milliseconds of the oldest event the projection has not processed yet (0 when caught up).',
      async collect() {
        const current = await lag();
        if (current) this.set(current.lag_ms);
      },
    });
  }

  /** Sets where the gauges read the lag from (the runner's `lag()`); also a source of `projection_parked_events`. */
  bindLag(source: () => Promise<ProjectionLag>): void {
    this.lagSource = source;
    this.parkedSources.push(() => this.lag().then((lag) => lag ?? Promise.reject(new Error('no lag'))));
  }

  /** Adds a runner whose parked events `projection_parked_events` counts (the integration-event runner). */
  bindParked(source: () => Promise<Pick<ProjectionLag, 'parked_by_projection'>>): void {
    this.parkedSources.push(source);
  }

  /** Sets where `read_model_generation` reads the current generation number from. */
  bindGeneration(source: () => number | null): void {
    this.generationSource = source;
  }

  /** Sets where the `integration_events_lag_*` gauges read the publisher's lag from. */
  bindIntegrationLag(source: () => Promise<IntegrationEventsLag>): void {
    this.integrationLagSource = source;
  }

  /** Counts `count` messages acknowledged by Kafka (the publisher's `onSent` hook). */
  countPublished(count: number): void {
    this.published.inc(count);
  }

  /** Counts one apply and, when it changed the read model, its lag (the runner's `onApplied` hook). */
  countApplied(projection: string, outcome: RunnerOutcome, event: RecordedEvent): void {
    this.applied.inc({ projection, outcome });
    if (outcome === 'applied') this.applyLag.observe({ projection }, Math.max(0, Date.now() - Date.parse(event.recorded_at)) / 1000);
  }

  onModuleDestroy(): void {
    for (const name of Object.values(PROJECTION_METRICS)) register.removeSingleMetric(name);
  }

  /** The lag, shared by both gauges of one scrape (cached 500 ms); `null` when unbound or the store is down. */
  private async lag(): Promise<ProjectionLag | null> {
    if (!this.lagSource) return null;
    const now = Date.now();
    if (!this.cached || now - this.cached.at > 500) this.cached = { at: now, lag: this.lagSource() };
    try {
      return await this.cached.lag;
    } catch {
      return null;
    }
  }
}
