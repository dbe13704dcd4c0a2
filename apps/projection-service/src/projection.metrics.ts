import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, register } from 'prom-client';
import type { ApplyOutcome, ProjectionLag } from '@tickets/read-models';

/** Metric names of the projection service (docs/read-models.md "Operations"). */
export const PROJECTION_METRICS = {
  lagEvents: 'projection_lag_events',
  lagMs: 'projection_lag_ms',
  eventsApplied: 'projection_events_applied_total',
} as const;

/**
 * The projection's Prometheus metrics, in prom-client's default registry (served by `GET /metrics` of
 * `MetricsModule` in @tickets/platform, with the default process metrics):
 * - `projection_lag_events` (gauge): events in the store after the runner's position (capped, see `ProjectionLag`);
 * - `projection_lag_ms` (gauge): age in ms of the oldest event not yet processed (0 when caught up);
 * - `projection_events_applied_total` (counter, labels `projection`, `outcome`): applies by outcome
 *   (`applied`, `duplicate`, `gap`, `ignored`).
 * The gauges are computed at scrape time from `lag` (set by the runner's owner through {@link bindLag}).
 */
@Injectable()
export class ProjectionMetrics implements OnModuleDestroy {
  private lagSource: (() => Promise<ProjectionLag>) | null = null;
  private cached: { at: number; lag: Promise<ProjectionLag> } | null = null;
  private readonly applied: Counter<'projection' | 'outcome'>;

  constructor() {
    // One registry per process: re-registering (a second app in the same test process) replaces the old metric.
    for (const name of Object.values(PROJECTION_METRICS)) register.removeSingleMetric(name);
    this.applied = new Counter({
      name: PROJECTION_METRICS.eventsApplied,
      help: 'Events applied by each projection, by outcome (applied, duplicate, gap, ignored).',
      labelNames: ['projection', 'outcome'],
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

  /** Counts one apply (the runner's `onApplied` hook). */
  countApplied(projection: string, outcome: ApplyOutcome): void {
    this.applied.inc({ projection, outcome });
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
