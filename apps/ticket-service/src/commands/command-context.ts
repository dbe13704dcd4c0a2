import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, CommandResult } from '@tickets/contracts';
import type { CommandMetadata } from '@tickets/domain';
import type { EventMetadata, EventStore } from '@tickets/event-store';
import type { HandleCommandOptions } from '../application/handle-command';
import type { ResourceResolver } from '../application/resource-resolver';

/** Everything a command handler may use; built once per command by the dispatcher. */
export interface CommandContext {
  readonly envelope: CommandEnvelope;
  /** Domain metadata: command id, actor with effective roles, `now` = the envelope's `issued_at`. */
  readonly metadata: CommandMetadata;
  /** What `handleCommand` needs: retries and the event metadata (actor, correlation, causation, time). */
  readonly options: HandleCommandOptions;
  readonly store: EventStore;
  readonly resolver: ResourceResolver;
  readonly config: AppConfig;
}

/**
 * A handler's answer: the result, and whether the command was accepted without any effect (`noop`: nothing
 * appended, e.g. an assignment to the current owner), which the processor records so that a later
 * redelivery answers the same instead of deciding again against a changed ticket.
 */
export type HandlerResult = CommandResult & { readonly noop?: boolean };

/** One handler per command type (STYLE.md: no god service). Throws DomainError to refuse. */
export type CommandHandler = (context: CommandContext) => Promise<HandlerResult>;

/** Event metadata for every event of `envelope` (TICKETS.md section 7: actor, time, correlation, causation). */
export function eventMetadata(envelope: CommandEnvelope): EventMetadata {
  return {
    command_id: envelope.command_id,
    correlation_id: envelope.correlation_id,
    causation_id: envelope.causation_id ?? envelope.command_id,
    actor: envelope.actor.shortname,
    occurred_at: envelope.issued_at,
  };
}
