import { describeEventStoreContract } from '../event-store.contract';
import { InMemoryEventStore } from './in-memory-event-store';

/** The in-memory store passes the same contract as the PostgreSQL and EventStoreDB adapters. */
describeEventStoreContract('InMemoryEventStore (contract)', async () => {
  const store = new InMemoryEventStore();
  return { store, dispose: () => store.close() };
});
