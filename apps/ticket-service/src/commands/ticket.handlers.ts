import { commentRecord, resourcePath, streamIds, ticketView, type CommandResult } from '@tickets/contracts';
import {
  AlreadyExistsError,
  ticketDecider,
  ValidationError,
  ticketSnapshot,
  type ActiveTicket,
  type AttributeChanges,
  type EditableAttributes,
  type NewComment,
  type ResourceKey,
  type TicketCommand,
  type TicketContext,
  type TicketState,
} from '@tickets/domain';
import { deterministicUuid, foldRecorded, handleCommand, type HandledCommand } from '../application/handle-command';
import type { CommandContext, CommandHandler, HandlerResult } from './command-context';

/** Attempts at an `auto` shortname before giving up; a collision is retried, never surfaced (TICKETS.md 1). */
const AUTO_SHORTNAME_ATTEMPTS = 5;

/**
 * Largest ticket (its JSON view, in bytes) a command may produce. Every result carries the ticket and must
 * fit in one Kafka message (1 MiB by default), and the read model stores it as one document.
 */
export const MAX_TICKET_BYTES = 512 * 1024;

/** @throws ValidationError (422) when the ticket after the command would exceed `MAX_TICKET_BYTES` */
function checkTicketSize(state: TicketState): void {
  if (state.status !== 'active') return;
  const bytes = Buffer.byteLength(JSON.stringify(ticketView(state)));
  if (bytes > MAX_TICKET_BYTES) {
    throw new ValidationError(`the ticket would grow to ${bytes} bytes; at most ${MAX_TICKET_BYTES} bytes are allowed`);
  }
}

type TicketCommandBuilder = (state: TicketState) => TicketCommand | Promise<TicketCommand>;

/** Runs one ticket command on the ticket's stream and answers with the ticket after it. */
async function runOnTicket(ctx: CommandContext, key: ResourceKey, build: TicketCommandBuilder): Promise<HandlerResult> {
  const handled = await handleCommand(ctx.store, streamIds.ticket(key), ticketDecider, build, { ...ctx.options, check: checkTicketSize });
  return { ...succeeded(ctx, key, handled), ...(handled.appended.length === 0 && !handled.redelivered ? { noop: true } : {}) };
}

function succeeded(ctx: CommandContext, key: ResourceKey, handled: HandledCommand<TicketState>): CommandResult {
  const state = handled.state;
  const current = state.status === 'active' ? { space_name: state.space_name, subpath: state.subpath, shortname: state.shortname } : key;
  return {
    command_id: ctx.envelope.command_id,
    status: 'succeeded',
    ...(state.status === 'active' ? { ticket: ticketView(state) } : {}),
    ...(handled.position !== null ? { position: handled.position.toString() } : {}),
    resource_path: resourcePath(current),
  };
}

const keyOf = (ctx: CommandContext): ResourceKey => ({
  space_name: ctx.envelope.space_name,
  subpath: ctx.envelope.subpath,
  shortname: ctx.envelope.shortname,
});

const payloadOf = <T>(ctx: CommandContext) => ctx.envelope.payload as T;

/** The workflow the ticket follows (its own version) and the schema its payload will have (ticket.commands.ts). */
async function ticketContext(ctx: CommandContext, state: TicketState, changes?: AttributeChanges): Promise<TicketContext> {
  if (state.status !== 'active') return {};
  const nextPayload = changes?.['payload'] as { schema_shortname?: string | null } | null | undefined;
  const schemaShortname =
    nextPayload && 'schema_shortname' in nextPayload ? nextPayload.schema_shortname : state.payload?.schema_shortname;
  const [workflow, schema] = await Promise.all([
    ctx.resolver.workflow(state.space_name, state.workflow_shortname, state.workflow_version),
    ctx.resolver.schema(state.space_name, schemaShortname),
  ]);
  return { workflow, schema };
}

/** Deterministic comment identity from the command, so a redelivery attaches the same comment once. */
function newComment(ctx: CommandContext, body: string, shortname?: string): NewComment {
  const uuid = deterministicUuid(ctx.envelope.command_id, 'comment');
  return { uuid, shortname: shortname && shortname !== 'auto' ? shortname : uuid.replace(/-/g, '').slice(0, 8), body };
}

/**
 * CreateTicket (TICKETS.md sections 1 and 4): `auto` shortnames are the first 8 hex chars of a UUIDv4 derived
 * from the command id and the attempt number (so a redelivery finds its own ticket again); a collision moves
 * to the next attempt. Key uniqueness is enforced by the store (`no_stream`).
 */
export const createTicket: CommandHandler = async (ctx) => {
  const attributes = payloadOf<EditableAttributes & { workflow_shortname: string; owner_group_shortname?: string }>(ctx);
  const auto = ctx.envelope.shortname === 'auto';
  for (let attempt = 0; ; attempt++) {
    const uuid = deterministicUuid(ctx.envelope.command_id, 'ticket', attempt);
    const key = { ...keyOf(ctx), shortname: auto ? uuid.replace(/-/g, '').slice(0, 8) : ctx.envelope.shortname };
    try {
      return await runOnTicket(ctx, key, async () => ({
        type: 'CreateTicket',
        data: {
          ...attributes,
          ...key,
          uuid,
          context: {
            workflow: await ctx.resolver.workflow(key.space_name, attributes.workflow_shortname),
            schema: await ctx.resolver.schema(key.space_name, attributes.payload?.schema_shortname),
          },
        },
        metadata: ctx.metadata,
      }));
    } catch (error) {
      if (!(auto && error instanceof AlreadyExistsError && attempt + 1 < AUTO_SHORTNAME_ATTEMPTS)) throw error;
    }
  }
};

/** ProgressTicket (TICKETS.md section 4, progress): one atomic append with state, resolution and comment. */
export const progressTicket: CommandHandler = (ctx) => {
  const { action, resolution, comment } = payloadOf<{ action: string; resolution?: string | null; comment?: string | null }>(ctx);
  return runOnTicket(ctx, keyOf(ctx), async (state) => ({
    type: 'ProgressTicket',
    data: {
      action,
      ...(resolution ? { resolution } : {}),
      ...(comment ? { comment: newComment(ctx, comment) } : {}),
      context: await ticketContext(ctx, state),
    },
    metadata: ctx.metadata,
  }));
};

/** UpdateTicket (TICKETS.md section 4, update / patch). */
export const updateTicket: CommandHandler = (ctx) => {
  const attributes = payloadOf<AttributeChanges>(ctx);
  return runOnTicket(ctx, keyOf(ctx), async (state) => ({
    type: 'UpdateTicket',
    data: { attributes, context: await ticketContext(ctx, state, attributes) },
    metadata: ctx.metadata,
  }));
};

/** PatchTicket (TICKETS.md section 4, update / patch: deep merge, `null` removes a key). */
export const patchTicket: CommandHandler = (ctx) => {
  const attributes = payloadOf<AttributeChanges>(ctx);
  return runOnTicket(ctx, keyOf(ctx), async (state) => ({
    type: 'PatchTicket',
    data: { attributes, context: await ticketContext(ctx, state, attributes) },
    metadata: ctx.metadata,
  }));
};

/** AssignTicket (TICKETS.md section 4, assign). */
export const assignTicket: CommandHandler = (ctx) =>
  runOnTicket(ctx, keyOf(ctx), () => ({
    type: 'AssignTicket',
    data: payloadOf<{ owner_shortname?: string; owner_group_shortname?: string }>(ctx),
    metadata: ctx.metadata,
  }));

/** LockTicket (TICKETS.md section 4, lock): default period from config LOCK_PERIOD_SECONDS. */
export const lockTicket: CommandHandler = (ctx) =>
  runOnTicket(ctx, keyOf(ctx), () => ({
    type: 'LockTicket',
    data: { lock_period_seconds: payloadOf<{ lock_period_seconds?: number }>(ctx).lock_period_seconds ?? ctx.config.LOCK_PERIOD_SECONDS },
    metadata: ctx.metadata,
  }));

/** UnlockTicket (TICKETS.md section 4, unlock). */
export const unlockTicket: CommandHandler = (ctx) =>
  runOnTicket(ctx, keyOf(ctx), () => ({ type: 'UnlockTicket', data: {}, metadata: ctx.metadata }));

/** AddComment (TICKETS.md section 4, comments): the comment is an attachment kept in the ticket's stream. */
export const addComment: CommandHandler = async (ctx) => {
  const { body, shortname } = payloadOf<{ body: string; shortname?: string }>(ctx);
  const comment = newComment(ctx, body, shortname);
  const result = await runOnTicket(ctx, keyOf(ctx), () => ({ type: 'AddComment', data: comment, metadata: ctx.metadata }));
  const ticket = keyOf(ctx);
  // The answer names the comment itself (a Dmart comment record), not only the ticket it is attached to; a
  // comment leaves the ticket's state alone, so the state after it is the one it was made in.
  const { uuid, shortname: commentShortname, subpath, attributes } = commentRecord(
    { ...comment, author: ctx.envelope.actor.shortname, created_at: ctx.envelope.issued_at, state: String(result.ticket?.['state'] ?? '') },
    ticket,
  );
  return { ...result, resource: { uuid, shortname: commentShortname, subpath, ...attributes } };
};

/** DeleteTicket (TICKETS.md section 4, delete): gone from queries, events kept; exact key only. */
export const deleteTicket: CommandHandler = (ctx) =>
  runOnTicket(ctx, keyOf(ctx), () => ({ type: 'DeleteTicket', data: {}, metadata: ctx.metadata }));

/**
 * MoveTicket (TICKETS.md section 4, move): `TicketMovedOut` on the source stream, then `TicketMovedIn` (the
 * whole ticket) on the destination, whose uniqueness the store enforces. A redelivery after a crash between
 * the two appends finds the first one and completes the second. If the destination was taken in between, the
 * ticket is moved back to its source (a `TicketMovedIn` there) and the command is refused.
 * @throws AlreadyExistsError (400) when a live ticket is at the destination
 */
export const moveTicket: CommandHandler = async (ctx) => {
  const from = keyOf(ctx);
  const requested = payloadOf<{ to: Partial<ResourceKey> }>(ctx).to;
  const to: ResourceKey = {
    space_name: requested.space_name ?? from.space_name,
    subpath: requested.subpath ?? from.subpath,
    shortname: requested.shortname ?? from.shortname,
  };
  if (resourcePath(to) === resourcePath(from)) throw new ValidationError('a move needs a new subpath or shortname');
  const destination = await ctx.store.readStream(streamIds.ticket(to));
  const placedByThisCommand = destination.some((e) => e.metadata.command_id === ctx.envelope.command_id);
  if (!placedByThisCommand && foldRecorded(ticketDecider, destination).status === 'active') {
    throw new AlreadyExistsError(`ticket ${resourcePath(to)} already exists`);
  }
  await handleCommand(ctx.store, streamIds.ticket(from), ticketDecider, () => ({ type: 'MoveTicketOut' as const, data: { to }, metadata: ctx.metadata }), ctx.options);

  // The snapshot is the source ticket as it was just before this command's TicketMovedOut.
  const source = await ctx.store.readStream(streamIds.ticket(from));
  const movedAt = source.findIndex((e) => e.metadata.command_id === ctx.envelope.command_id);
  const before = foldRecorded(ticketDecider, source.slice(0, movedAt)) as ActiveTicket;
  try {
    return await runOnTicket(ctx, to, () => ({
      type: 'MoveTicketIn',
      data: { from, snapshot: ticketSnapshot(before, to) },
      metadata: ctx.metadata,
    }));
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    // Compensation under an id of its own: the source stream already holds this command's TicketMovedOut.
    const undoId = deterministicUuid(ctx.envelope.command_id, 'move-back');
    await handleCommand(
      ctx.store,
      streamIds.ticket(from),
      ticketDecider,
      () => ({ type: 'MoveTicketIn' as const, data: { from: to, snapshot: ticketSnapshot(before, from) }, metadata: { ...ctx.metadata, command_id: undoId } }),
      { ...ctx.options, metadata: { ...ctx.options.metadata, command_id: undoId } },
    );
    throw error;
  }
};
