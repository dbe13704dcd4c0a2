import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { DependencyChecks } from '@tickets/platform';
import type { ProjectionLag } from '@tickets/read-models';
import { ProjectionWorker } from './projection.worker';

/**
 * `GET /health` (@nestjs/terminus): 200 when MongoDB and the event store answer and the projection is not
 * stalled; 503 otherwise. The `projection` entry always carries the lag (positions as decimal strings):
 * it is down when the runner is not running or is stalled (events wait and none was processed for 30 s).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: DependencyChecks,
    private readonly indicators: HealthIndicatorService,
    private readonly worker: ProjectionWorker,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.checks.mongo(), () => this.checks.eventStore(this.store), () => this.projection()]);
  }

  private async projection(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('projection');
    let lag: ProjectionLag;
    try {
      lag = await this.worker.lag();
    } catch (error) {
      return session.down({ message: `cannot compute the lag: ${(error as Error).message}` });
    }
    const details = lagDetails(lag);
    return lag.running && !lag.stalled ? session.up(details) : session.down(details);
  }
}

/** The lag as JSON-safe details (bigints as decimal strings). */
export function lagDetails(lag: ProjectionLag): Record<string, unknown> {
  return {
    name: lag.name,
    running: lag.running,
    position: lag.position?.toString() ?? null,
    saved_position: lag.saved_position?.toString() ?? null,
    head_position: lag.head_position?.toString() ?? null,
    behind: lag.behind,
    behind_capped: lag.behind_capped,
    lag_ms: lag.lag_ms,
    ms_since_last_event: lag.ms_since_last_event,
    events_processed: lag.events_processed,
    stalled: lag.stalled,
    last_error: lag.last_error,
  };
}
