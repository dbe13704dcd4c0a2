import type { Event, ResourceKey, Translation } from '../shared/message';

/** Reporter of a ticket (TICKETS.md section 1); every field optional. */
export interface Reporter {
  readonly type?: string;
  readonly name?: string;
  readonly channel?: string;
  readonly distributor?: string;
  readonly governorate?: string;
  readonly msisdn?: string;
  readonly channel_address?: Readonly<Record<string, unknown>>;
}

/** `payload` of a resource: `body` is JSON when `content_type` is `json` (TICKETS.md sections 1, 5). */
export interface Payload {
  readonly content_type: string;
  readonly schema_shortname?: string;
  readonly body?: unknown;
}

/** A comment attached to a ticket (TICKETS.md section 4, comments). */
export interface TicketComment {
  readonly shortname: string;
  readonly uuid: string;
  readonly body: string;
  readonly author: string;
  readonly created_at: string;
  /** The ticket's state when the comment was made. */
  readonly state: string;
}

/** The attributes that update/patch may change (TICKETS.md section 4, update / patch). */
export interface EditableAttributes {
  readonly displayname?: Translation;
  readonly description?: Translation;
  readonly tags?: readonly string[];
  readonly is_active?: boolean;
  readonly reporter?: Reporter;
  readonly payload?: Payload;
  readonly collaborators?: Readonly<Record<string, string>>;
}

/**
 * A ticket was created (TICKETS.md section 4, create): key, uuid, every attribute, the workflow version it follows,
 * its initial `state`/`is_open` (from the workflow and the actor's roles), owner = the creating actor.
 */
export type TicketCreated = Event<
  'TicketCreated',
  ResourceKey &
    EditableAttributes & {
      uuid: string;
      workflow_shortname: string;
      /** The workflow version the ticket follows for its whole life (TICKETS.md section 2). */
      workflow_version: number;
      state: string;
      is_open: boolean;
      is_active: boolean;
      tags: readonly string[];
      collaborators: Readonly<Record<string, string>>;
      owner_shortname: string;
      owner_group_shortname?: string;
      created_at: string;
    }
>;

/** One atomic progress: state, is_open, resolution, collaborator and comment (TICKETS.md section 4). */
export type TicketProgressed = Event<
  'TicketProgressed',
  {
    action: string;
    from_state: string;
    state: string;
    is_open: boolean;
    /** The given resolution, or `null` when cleared (moved to an open state without one). */
    resolution_reason: string | null;
    actor: string;
    comment?: TicketComment;
    at: string;
  }
>;

/** Update/patch result: new values of changed top-level attributes, and removed attributes. */
export type TicketUpdated = Event<
  'TicketUpdated',
  { set: EditableAttributes; unset: readonly (keyof EditableAttributes)[]; at: string }
>;

/** The ticket went to a user and/or team (section 4, assign); the previous ones are recorded (history). */
export type TicketAssigned = Event<
  'TicketAssigned',
  {
    owner_shortname: string;
    owner_group_shortname?: string;
    previous_owner_shortname: string;
    previous_owner_group_shortname?: string;
    by: string;
    at: string;
  }
>;

/** `holder` locked the ticket until `expires_at` (ISO-8601) (section 4, lock); also sets `collaborators.processed_by`. */
export type TicketLocked = Event<'TicketLocked', { holder: string; expires_at: string; at: string }>;
/** The holder released the lock (section 4, unlock). */
export type TicketUnlocked = Event<'TicketUnlocked', { holder: string; at: string }>;
/** A comment was attached to the ticket (section 4, comments). */
export type CommentAdded = Event<'CommentAdded', { comment: TicketComment }>;
/** The ticket was deleted (section 4, delete); the stream's events stay. */
export type TicketDeleted = Event<'TicketDeleted', { by: string; at: string }>;
/** Appended to the source stream of a move; the ticket continues in `to` (TICKETS.md section 4, move). */
export type TicketMovedOut = Event<'TicketMovedOut', { to: ResourceKey; at: string }>;
/** First event of the destination stream of a move: the whole state, and where it came from. */
export type TicketMovedIn = Event<'TicketMovedIn', { from: ResourceKey; snapshot: TicketCreated['data'] & TicketSnapshotExtras; at: string }>;

/** State carried over a move beyond the creation attributes. */
export interface TicketSnapshotExtras {
  readonly resolution_reason?: string | null;
  readonly comments?: readonly TicketComment[];
  readonly lock?: { readonly holder: string; readonly expires_at: string } | null;
  readonly updated_at?: string;
  /** Assignment history (section 4, assign). */
  readonly assignments?: readonly TicketAssigned['data'][];
}

/** Every event of a ticket stream. */
export type TicketEvent =
  | TicketCreated
  | TicketProgressed
  | TicketUpdated
  | TicketAssigned
  | TicketLocked
  | TicketUnlocked
  | CommentAdded
  | TicketDeleted
  | TicketMovedOut
  | TicketMovedIn;
