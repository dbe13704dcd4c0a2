import { describeEventStoreContract } from '../event-store.contract';
import { EventStoreDBEventStore } from './eventstoredb-event-store';

/**
 * The EventStoreDB leg of the contract (ARCHITECTURE.md "Event store"): runs whenever
 * `EVENTSTORE_CONNECTION_STRING` is set (e.g. `esdb://127.0.0.1:2113?tls=false`), against that real server.
 * Without it the suite is skipped, visibly: no fake stands in for the server.
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract('EventStoreDBEventStore (contract)', async () => {
    const store = new EventStoreDBEventStore({ connectionString });
    return { store, dispose: () => store.close() };
  });
} else {
  describe.skip('EventStoreDBEventStore (contract): skipped, EVENTSTORE_CONNECTION_STRING is not set', () => {
    it('runs against a real EventStoreDB server only', () => undefined);
  });
}
