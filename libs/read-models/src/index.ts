/**
 * @tickets/read-models: the MongoDB read models (ARCHITECTURE.md "Read models"; shapes in docs/read-models.md,
 * v1), their projections with the per-document revision guard, the dashboard counters, the one projection
 * runner, and the query API the gateway uses; the generations and the alias that let a rebuild replace the live
 * read models without downtime; the public ticket events published on `tickets.events.v1`; the parking of events a
 * projection cannot apply. Runs on MongoDB (a replica set: the projections write in transactions).
 */
export * from './projection';
export * from './projection-runner';
export * from './read-models';
export * from './read-models.module';
export * from './checkpoints/projection-checkpoints';
export * from './parking/parked-events';
export { isTransientError } from './shared/transient-errors';
export * from './tickets/ticket.schema';
export * from './tickets/ticket-counters';
export * from './tickets/ticket-details.projection';
export * from './tickets/ticket-view';
export * from './tickets/tickets.read-model';
export * from './workflows/workflow.schema';
export * from './workflows/workflow-definition.projection';
export * from './workflows/workflows.read-model';
export * from './rebuild/read-model-generation';
export * from './rebuild/read-model-aliases';
export * from './rebuild/content-hash';
export * from './rebuild/read-models-rebuild';
export * from './integration-events/ticket-integration-event';
export * from './integration-events/ticket-facts.tracker';
export * from './integration-events/batching-publisher';
export * from './integration-events/ticket-integration-events.projection';
export { escapeKey, unescapeKey, encodeUserData, decodeUserData, NESTED_ARRAY_KEY } from './shared/user-data.codec';
export { guardDecision, type GuardedWrite } from './shared/revision-guard';
export * from './search/search.ast';
export { parseSearch, SEARCH_LIMITS } from './search/search.parser';
export { searchFilter, parsePeriod, TEXT_SEARCH_PATHS, type MongoFilter, type SearchFilter, type Period } from './search/search.filter';
export { resolveTicketField, resolveSortPath, type FieldKind, type ResolvedField } from './search/ticket-fields';
export * from './search/ticket-query';
export * from './search/ticket-search';
export * from './search/ticket-dashboard';
export * from './history/ticket-history';
