import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { AppConfig } from '@tickets/config';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { APP_CONFIG, DependencyChecks } from '@tickets/platform';
import type { ProjectionLag } from '@tickets/read-models';
import { IntegrationEventsWorker, type IntegrationEventsStatus } from './integration-events.worker';
import { ProjectionWorker, type ReadModelLag } from './projection.worker';

/**
 * `GET /health` (@nestjs/terminus): 200 when MongoDB and the event store answer, the projection is not
 * stalled and (when enabled) neither is the integration-event publisher; 503 otherwise.
 * Parked events (docs/read-models.md "Parked events") make an entry `degraded: true` with `parked` (count),
 * `parked_by_projection` and `oldest_parked_at` in its details, but keep it up: every other stream is current,
 * and restarting the service would not help (re-apply the parked events after a fix).
 * - `projection` always carries the lag (positions as decimal strings) and the read model generation: it is
 *   down when the runner is not running (outside a generation switch) or is stalled (events wait and none was
 *   processed for `PROJECTION_STALL_AFTER_MS`, 30 s by default);
 * - `integration_events` (when `INTEGRATION_EVENTS_ENABLED`): the publisher's runner lag and Kafka backlog;
 *   down when not running, stalled, or when messages wait and Kafka acknowledged none for as long.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: DependencyChecks,
    private readonly indicators: HealthIndicatorService,
    private readonly worker: ProjectionWorker,
    private readonly integrationEvents: IntegrationEventsWorker,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.checks.mongo(),
      () => this.checks.eventStore(this.store),
      () => this.projection(),
      ...(this.config.INTEGRATION_EVENTS_ENABLED ? [() => this.publisher()] : []),
    ]);
  }

  private async projection(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('projection');
    let lag: ReadModelLag;
    try {
      lag = await this.worker.lag();
    } catch (error) {
      return session.down({ message: `cannot compute the lag: ${(error as Error).message}` });
    }
    const details = { ...lagDetails(lag), generation: lag.generation, switching: lag.switching };
    return (lag.running || lag.switching) && !lag.stalled ? session.up(details) : session.down(details);
  }

  private async publisher(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('integration_events');
    let status: IntegrationEventsStatus;
    try {
      status = await this.integrationEvents.status();
    } catch (error) {
      return session.down({ message: `cannot compute the lag: ${(error as Error).message}` });
    }
    const details = {
      ...lagDetails(status),
      pending: status.publisher.pending,
      oldest_pending_ms: status.publisher.oldest_pending_ms,
      published: status.publisher.published,
      publish_error: status.publisher.last_error,
      publisher_stalled: status.publisher_stalled,
    };
    return status.running && !status.stalled && !status.publisher_stalled ? session.up(details) : session.down(details);
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
    waiting_ms: lag.waiting_ms,
    ms_since_last_event: lag.ms_since_last_event,
    events_processed: lag.events_processed,
    stalled: lag.stalled,
    last_error: lag.last_error,
    degraded: lag.parked > 0,
    parked: lag.parked,
    parked_by_projection: lag.parked_by_projection,
    oldest_parked_at: lag.oldest_parked_at,
  };
}
