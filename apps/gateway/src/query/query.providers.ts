import type { Provider, Type } from '@nestjs/common';
import { TicketDashboard, TicketSearch, TicketsReadModel } from '@tickets/read-models';
import { DashboardsController } from './dashboards.controller';
import { ManagedQueryController } from './managed-query.controller';
import { TicketHistoryReader } from './ticket-history.reader';
import { TicketsQueryController } from './tickets-query.controller';

/** The query endpoints' controllers (docs/query-api.md), for `GatewayModule`. */
export const QUERY_CONTROLLERS: Type<unknown>[] = [ManagedQueryController, TicketsQueryController, DashboardsController];

/**
 * Their providers: ticket search and dashboard reads on the gateway's `TicketsReadModel`, and the history
 * reader on `EVENT_STORE` (provided by `EventStoreModule`).
 */
export const QUERY_PROVIDERS: Provider[] = [
  { provide: TicketSearch, inject: [TicketsReadModel], useFactory: (tickets: TicketsReadModel) => new TicketSearch(tickets) },
  { provide: TicketDashboard, inject: [TicketsReadModel], useFactory: (tickets: TicketsReadModel) => new TicketDashboard(tickets) },
  TicketHistoryReader,
];
