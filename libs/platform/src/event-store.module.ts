import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import { createEventStore, EVENT_STORE, type EventStore } from '@tickets/event-store';
import { APP_CONFIG } from './config.module';

/**
 * Provides the configured event store adapter under `EVENT_STORE` (config `EVENT_STORE`: `postgres` with
 * `POSTGRES_URL`/`POSTGRES_SCHEMA`, or `eventstoredb` with `EVENTSTORE_CONNECTION_STRING`) and closes it on
 * shutdown.
 */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Promise<EventStore> =>
        config.EVENT_STORE === 'eventstoredb'
          ? createEventStore({ kind: 'eventstoredb', connectionString: config.EVENTSTORE_CONNECTION_STRING ?? '' })
          : createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema: config.POSTGRES_SCHEMA }),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
