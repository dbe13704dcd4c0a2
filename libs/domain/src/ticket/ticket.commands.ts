import type { JsonSchema } from '../schema/payload.validator';
import type { Command, CommandMetadata, ResourceKey } from '../shared/message';
import type { WorkflowDefinition } from '../workflow/workflow.types';
import type { EditableAttributes, TicketMovedIn } from './ticket.events';

/**
 * What the caller (ticket-service) resolves from other streams before deciding a ticket command: the decider is
 * pure, so it cannot read the workflow or schema itself. Build it the same way for every command:
 *
 * - `workflow`: the definition the ticket follows, with its version number.
 *   - For `CreateTicket`: the **latest** version of workflow `space_name/workflows/<workflow_shortname>`.
 *   - For every later command: the ticket's own `workflow_version` (TICKETS.md section 2: a ticket keeps
 *     following the version it was created under; see `workflowVersion(state, version)`).
 *   - `undefined` when it does not exist: the decider then refuses with "workflow not found" (220) where it
 *     needs it (create, progress). Update/patch/assign/lock/comment/delete/move do not need it.
 * - `schema`: the JSON Schema (draft-7) named by the payload's `schema_shortname` **as the payload will be after
 *   the command** (the command's `payload.schema_shortname` if it gives one, else the ticket's), latest version;
 *   `undefined` when the payload has no `schema_shortname`, is not `json`, or the schema does not exist (the
 *   decider refuses a json payload naming a missing schema with 220).
 */
export interface TicketContext {
  readonly workflow?: ResolvedWorkflow;
  readonly schema?: JsonSchema;
}

/** A workflow definition and its version number (from the workflow stream, `workflowVersion`). */
export interface ResolvedWorkflow {
  readonly version: number;
  readonly definition: WorkflowDefinition;
}

/** A comment to attach: `shortname`/`uuid` are chosen by the caller (derived from the command id). */
export interface NewComment {
  readonly shortname: string;
  readonly uuid: string;
  readonly body: string;
}

/**
 * Creates a ticket (TICKETS.md section 4, create). The key is already chosen: for `shortname: "auto"` the caller
 * passes the first 8 hex chars of a new UUIDv4 as `shortname` and the full value as `uuid` (section 1).
 * `state`/`is_open` are not fields: the workflow decides them (client-sent values are ignored). The owner is the
 * actor. The remaining attributes are the editable ones (all optional).
 */
export type CreateTicket = Command<
  'CreateTicket',
  ResourceKey &
    EditableAttributes & {
      uuid: string;
      workflow_shortname: string;
      owner_group_shortname?: string;
      context: TicketContext;
    },
  CommandMetadata
>;

/** Progresses a ticket with a workflow `action` (section 4, progress). `comment.body` empty = no comment. */
export type ProgressTicket = Command<
  'ProgressTicket',
  { action: string; resolution?: string; comment?: NewComment; context: TicketContext },
  CommandMetadata
>;

/**
 * Attribute changes as sent by the client (`attributes` of a Dmart update/patch record): untyped on purpose, so
 * the decider can refuse workflow attributes and unknown ones with a clear message (section 4, update / patch).
 */
export type AttributeChanges = Readonly<Record<string, unknown>>;

/**
 * Replaces the given editable attributes (section 4, update). A `payload` replaces `payload.body` wholesale and
 * keeps `content_type`/`schema_shortname` unless given. `null` resets an attribute (optional ones are removed,
 * `tags` -> `[]`, `is_active` -> `false`, `collaborators` -> `{}`).
 */
export type UpdateTicket = Command<'UpdateTicket', { attributes: AttributeChanges; context: TicketContext }, CommandMetadata>;

/**
 * Deep-merges the given attributes into the ticket (section 4, patch): objects (`payload` and its `body`,
 * `displayname`, `description`, `reporter`, `collaborators`) are merged key by key and a `null` removes a key;
 * arrays and scalars are replaced. A top-level `null` resets the attribute as in `UpdateTicket`.
 */
export type PatchTicket = Command<'PatchTicket', { attributes: AttributeChanges; context: TicketContext }, CommandMetadata>;

/** Assigns the ticket to a user and/or a team (section 4, assign); at least one of the two. */
export type AssignTicket = Command<
  'AssignTicket',
  { owner_shortname?: string; owner_group_shortname?: string },
  CommandMetadata
>;

/** Locks the ticket for the actor for `lock_period_seconds` (default 300) (section 4, lock / unlock). */
export type LockTicket = Command<'LockTicket', { lock_period_seconds?: number }, CommandMetadata>;

/** Releases the actor's lock (section 4, lock / unlock). */
export type UnlockTicket = Command<'UnlockTicket', Record<string, never>, CommandMetadata>;

/** Attaches a comment to the ticket (section 4, comments). */
export type AddComment = Command<'AddComment', NewComment, CommandMetadata>;

/** Deletes the ticket: it disappears from queries, its events stay (section 4, delete). */
export type DeleteTicket = Command<'DeleteTicket', Record<string, never>, CommandMetadata>;

/**
 * First half of a move (section 4, move), decided on the **source** stream: the ticket continues at `to` (same
 * space, new subpath and/or shortname).
 */
export type MoveTicketOut = Command<'MoveTicketOut', { to: ResourceKey }, CommandMetadata>;

/**
 * Second half of a move, decided on the **destination** stream (appended with expected revision "no stream"):
 * `snapshot` is `ticketSnapshot(sourceStateBeforeTheMove, to)`.
 */
export type MoveTicketIn = Command<
  'MoveTicketIn',
  { from: ResourceKey; snapshot: TicketMovedIn['data']['snapshot'] },
  CommandMetadata
>;

/** Every ticket command. */
export type TicketCommand =
  | CreateTicket
  | ProgressTicket
  | UpdateTicket
  | PatchTicket
  | AssignTicket
  | LockTicket
  | UnlockTicket
  | AddComment
  | DeleteTicket
  | MoveTicketOut
  | MoveTicketIn;

/** The default lock period in seconds (section 4, lock / unlock). */
export const DEFAULT_LOCK_PERIOD_SECONDS = 300;
