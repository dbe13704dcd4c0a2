export * from './topics';
export * from './resource-key';
export * from './command-envelope';
export * from './command-result';
export * from './ticket-view';
export * from './comment-record';
/** JSON Schema of the public ticket events on `tickets.events.v1` (docs/integration-events.md). */
export { default as ticketEventV1Schema } from './schemas/ticket-event.v1.schema.json';
