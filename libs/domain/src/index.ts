/**
 * @tickets/domain: the pure domain of the ticketing platform (TICKETS.md sections 2-5): deciders for tickets,
 * workflows, payload schemas and groups, the workflow engine helpers, payload validation and the domain errors.
 * No I/O, no framework: time, ids and the actor (with effective roles) arrive in command metadata/data.
 */
export * from './shared/errors';
export * from './shared/message';
export * from './shared/decider';
export * from './shared/resource';

export * from './workflow/workflow.types';
export * from './workflow/workflow.definition';
export * from './workflow/workflow.decider';

export * from './schema/payload.validator';
export * from './schema/schema.decider';

export * from './group/group.decider';
export * from './user/user.decider';

export * from './ticket/ticket.events';
export * from './ticket/ticket.commands';
export * from './ticket/ticket.state';
export * from './ticket/ticket.evolve';
export * from './ticket/ticket.decider';

