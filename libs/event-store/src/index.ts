import type { EventStore } from './event-store.port';
import { EventStoreDBEventStore } from './eventstoredb/eventstoredb-event-store';
import { PostgresEventStore } from './postgres/postgres-event-store';

export * from './event-store.port';
export { DuplicateEventIdError } from './event-store.errors';
export { GroupCommitEventStore, type GroupCommitOptions } from './group-commit-event-store';
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './in-memory/in-memory-event-store';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export {
  EventStoreDBEventStore,
  type EventStoreDBEventStoreOptions,
} from './eventstoredb/eventstoredb-event-store';

/** Dependency-injection token under which services provide their {@link EventStore} (NestJS `@Inject`). */
export const EVENT_STORE = Symbol('EventStore');

/**
 * Which adapter to build (ARCHITECTURE.md "Event store"; values come from the config module:
 * `EVENT_STORE`, `POSTGRES_URL`, `POSTGRES_SCHEMA`, `EVENTSTORE_CONNECTION_STRING`).
 * - `postgres`: `url` is a libpq URL; `schema` defaults to `event_store`; `migrate` (default `true`) runs the
 *   idempotent migration before returning.
 * - `eventstoredb`: `connectionString` such as `esdb://127.0.0.1:2113?tls=false`.
 */
export type EventStoreConfig =
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string; readonly migrate?: boolean }
  | { readonly kind: 'eventstoredb'; readonly connectionString: string };

/**
 * Builds the configured adapter. The caller owns the result and must `close()` it.
 * @throws RangeError for an invalid PostgreSQL schema name; the driver's error when the migration fails.
 */
export async function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'postgres': {
      const store = new PostgresEventStore({ connectionString: config.url, schema: config.schema });
      if (config.migrate ?? true) {
        try {
          await store.migrate();
        } catch (error) {
          await store.close();
          throw error;
        }
      }
      return store;
    }
    case 'eventstoredb':
      return new EventStoreDBEventStore({ connectionString: config.connectionString });
    default: {
      const _: never = config;
      throw new Error(`unknown event store kind ${JSON.stringify(_)}`);
    }
  }
}
