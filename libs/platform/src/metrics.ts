import { Controller, Get, Header, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, register } from 'prom-client';

let defaultsCollected = false;

/** `GET /metrics`: the process's Prometheus registry (prom-client), text exposition format 0.0.4. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  async metrics(): Promise<string> {
    return register.metrics();
  }
}

/**
 * `GET /health/live`: the process is up and serving HTTP. Unlike `/health` it checks no dependency, so a
 * Kafka, event store or MongoDB outage makes pods unready (`/health`) without restarting them (liveness).
 */
@ApiExcludeController()
@Controller('health')
export class LivenessController {
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

/**
 * Serves `/metrics` (with prom-client's default process metrics: CPU, RSS, event loop lag, GC) and
 * `/health/live`.
 */
@Module({ controllers: [MetricsController, LivenessController] })
export class MetricsModule {
  constructor() {
    if (!defaultsCollected) {
      collectDefaultMetrics();
      defaultsCollected = true;
    }
  }
}
