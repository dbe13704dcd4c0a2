/**
 * @tickets/read-models: the MongoDB read models (ARCHITECTURE.md "Read models"; shapes in docs/read-models.md,
 * v1), their projections with the per-document revision guard, the dashboard counters, the one projection
 * runner, and the query API the gateway uses. Runs on MongoDB and on FerretDB v1.
 */
export * from './projection';
export * from './projection-runner';
export * from './read-models';
export * from './read-models.module';
export * from './checkpoints/projection-checkpoints';
export * from './tickets/ticket.schema';
export * from './tickets/ticket-counters';
export * from './tickets/ticket-details.projection';
export * from './tickets/ticket-view';
export * from './tickets/tickets.read-model';
export * from './workflows/workflow.schema';
export * from './workflows/workflow-definition.projection';
export * from './workflows/workflows.read-model';
export { escapeKey, unescapeKey, encodeUserData, decodeUserData, NESTED_ARRAY_KEY } from './shared/user-data.codec';
export { guardDecision, type GuardedWrite } from './shared/revision-guard';
