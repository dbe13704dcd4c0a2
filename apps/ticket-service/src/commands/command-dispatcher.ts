import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, CommandType } from '@tickets/contracts';
import { GroupCommitEventStore } from '@tickets/event-store';
import { APP_CONFIG } from '@tickets/platform';
import { ResourceResolver } from '../application/resource-resolver';
import { CommandMetrics } from './command-metrics';
import { eventMetadata, type CommandHandler, type HandlerResult } from './command-context';
import { defineGroup, defineSchema, defineUser, defineWorkflow, deleteUser } from './definition.handlers';
import {
  addComment,
  assignTicket,
  createTicket,
  deleteTicket,
  lockTicket,
  moveTicket,
  patchTicket,
  progressTicket,
  unlockTicket,
  updateTicket,
} from './ticket.handlers';

/** The handler of each command type of the v1 envelope. */
const HANDLERS: Readonly<Record<CommandType, CommandHandler>> = {
  CreateTicket: createTicket,
  ProgressTicket: progressTicket,
  UpdateTicket: updateTicket,
  PatchTicket: patchTicket,
  AssignTicket: assignTicket,
  LockTicket: lockTicket,
  UnlockTicket: unlockTicket,
  AddComment: addComment,
  DeleteTicket: deleteTicket,
  MoveTicket: moveTicket,
  DefineWorkflow: defineWorkflow,
  DefineSchema: defineSchema,
  DefineGroup: defineGroup,
  DefineUser: defineUser,
  DeleteUser: deleteUser,
};

/** Routes a valid envelope to its handler with the actor's effective roles resolved. */
@Injectable()
export class CommandDispatcher {
  constructor(
    private readonly store: GroupCommitEventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly resolver: ResourceResolver,
    private readonly metrics: CommandMetrics,
  ) {}

  /** @throws DomainError when the command is refused; store errors unchanged */
  async dispatch(envelope: CommandEnvelope): Promise<HandlerResult> {
    const actor = await this.resolver.actor(envelope.actor);
    return HANDLERS[envelope.type]({
      envelope,
      metadata: { command_id: envelope.command_id, actor, now: envelope.issued_at },
      options: {
        maxRetries: this.config.APPEND_MAX_RETRIES,
        metadata: eventMetadata(envelope),
        onStage: (stage, seconds) => this.metrics.observeStage(stage, seconds),
      },
      store: this.store,
      resolver: this.resolver,
      config: this.config,
    });
  }
}
