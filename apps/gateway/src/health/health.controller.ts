import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { DependencyChecks } from '@tickets/platform';

/** `GET /health`: 200 only when Kafka, the event store and MongoDB are reachable (ARCHITECTURE.md). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: DependencyChecks,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.checks.kafka(),
      () => this.checks.eventStore(this.store),
      () => this.checks.mongo(),
    ]);
  }
}
