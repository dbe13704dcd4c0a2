import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '@tickets/config';
import { EVENT_STORE, GroupCommitEventStore, type EventStore } from '@tickets/event-store';
import { kafkaPublisherProvider } from '@tickets/messaging';
import { ConfigModule, DependencyChecks, EventStoreModule, loggingModule, MetricsModule } from '@tickets/platform';
import { ResourceResolver } from './application/resource-resolver';
import { CommandDispatcher } from './commands/command-dispatcher';
import { CommandMetrics } from './commands/command-metrics';
import { CommandProcessor } from './commands/command-processor';
import { HealthController } from './health/health.controller';

/** ticket-service: commands from Kafka, workflow rules, appends to the event store, results to Kafka. */
@Module({})
export class TicketServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: TicketServiceModule,
      imports: [ConfigModule.forRoot(config), loggingModule(config, 'ticket-service'), MetricsModule, TerminusModule, EventStoreModule],
      controllers: [HealthController],
      providers: [
        kafkaPublisherProvider('ticket-service'),
        // Commands read and append through it: the appends and stream reads of the moment go as one round-trip.
        {
          provide: GroupCommitEventStore,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new GroupCommitEventStore(store),
        },
        CommandProcessor,
        CommandDispatcher,
        CommandMetrics,
        ResourceResolver,
        DependencyChecks,
      ],
    };
  }
}
