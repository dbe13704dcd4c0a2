import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import type { RecordedEvent } from '@tickets/event-store';
import type { ApplyOutcome, ProjectionLag } from '@tickets/read-models';

/** Metric names of the projection service (docs/read-models.md "Operations"). */
export const PROJECTION_METRICS = {
  lagEvents: 'projection_lag_events',
  lagMs: 'projection_lag_ms',
  eventsApplied: 'projection_events_applied_total',
  applyLag: 'projection_apply_lag_seconds',
} as const;

/**
 * The projection's Prometheus metrics, in prom-client's default registry (served by `GET /metrics` of
 * `MetricsModule` in @tickets/platform, with the default process metrics):
 * - `projection_lag_events` (gauge): events in the store after the runner's position (capped, see `ProjectionLag`);
 * - `projection_lag_ms` (gauge): age in ms of the oldest event not yet processed (0 when caught up);
 * - `projection_events_applied_total` (counter, labels `projection`, `outcome`): applies by outcome
 *   (`applied`, `duplicate`, `gap`, `ignored`);
 * - `projection_apply_lag_seconds` (histogram, label `projection`): event committed -> applied.
 * The gauges are computed at scrape time from `lag` (set by the runner's owner through {@link bindLag}).
 */
@Injectable()
export class ProjectionMetrics implements OnModuleDestroy {
  private lagSource: (() => Promise<ProjectionLag>) | null = null;
  private cached: { at: number; lag: Promise<ProjectionLag> } | null = null;
  private readonly applied: Counter<'projection' | 'outcome'>;
  private readonly applyLag: Histogram<'projection'>;

  constructor() {
    // One registry per process: re-registering (a second app in the same test process) replaces the old metric.
    for (const name of Object.values(PROJECTION_METRICS)) register.removeSingleMetric(name);
    this.applied = new Counter({
      name: PROJECTION_METRICS.eventsApplied,
      help: 'Events applied by each projection, by outcome (applied, duplicate, gap, ignored).',
      labelNames: ['projection', 'outcome'],
    });
    this.applyLag = new Histogram({
      name: PROJECTION_METRICS.applyLag,
      help: 'Time from the event store committing an event to the projection having applied it, in seconds.',
      labelNames: ['projection'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    const lag = () => this.lag();
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

  /** Sets where the gauges read the lag from (the runner's `lag()`). */
  bindLag(source: () => Promise<ProjectionLag>): void {
    this.lagSource = source;
  }

  /** Counts one apply and, when it changed the read model, its lag (the runner's `onApplied` hook). */
  countApplied(projection: string, outcome: ApplyOutcome, event: RecordedEvent): void {
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
