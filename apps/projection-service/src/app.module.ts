import { Module, type DynamicModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '@tickets/config';
import { APP_CONFIG, ConfigModule, DependencyChecks, EventStoreModule, loggingModule, MetricsModule } from '@tickets/platform';
import { ReadModelsModule } from '@tickets/read-models';
import { HealthController } from './health.controller';
import { IntegrationEventsWorker } from './integration-events.worker';
import { ProjectionMetrics } from './projection.metrics';
import { ProjectionWorker } from './projection.worker';

/**
 * The projection service (ARCHITECTURE.md "Services"): subscribes to the event store from the stored
 * checkpoint and maintains the MongoDB read models (following the generation alias a rebuild switches),
 * publishes the public ticket events on `tickets.events.v1`; serves `GET /health` and `GET /metrics`.
 * `config` is validated once by the caller (`loadConfig()` in main.ts, or a test's own values).
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config, 'projection-service'),
        MetricsModule,
        TerminusModule,
        EventStoreModule,
        MongooseModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ uri: c.MONGODB_URI, serverSelectionTimeoutMS: 5000 }),
        }),
        ReadModelsModule,
      ],
      controllers: [HealthController],
      providers: [ProjectionMetrics, ProjectionWorker, IntegrationEventsWorker, DependencyChecks],
    };
  }
}
