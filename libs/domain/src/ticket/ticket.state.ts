import { instantMs } from '../shared/guards';
import type { ResourceKey, Translation } from '../shared/message';
import type { Payload, Reporter, TicketAssigned, TicketComment, TicketMovedIn } from './ticket.events';

/** A lock on a ticket (TICKETS.md section 4, lock / unlock). `expires_at` is an ISO-8601 instant. */
export interface TicketLock {
  readonly holder: string;
  readonly expires_at: string;
}

/** One assignment (section 4, assign): who the ticket went to, from whom, by whom and when. */
export type TicketAssignment = TicketAssigned['data'];

/** A ticket that exists: every attribute of TICKETS.md section 1, plus lock, comments and assignment history. */
export interface ActiveTicket extends ResourceKey {
  readonly status: 'active';
  readonly uuid: string;
  readonly workflow_shortname: string;
  /** The workflow version the ticket follows for its whole life (section 2). */
  readonly workflow_version: number;
  readonly state: string;
  readonly is_open: boolean;
  /** Set by progress with a resolution, `null` otherwise (section 4, progress). */
  readonly resolution_reason: string | null;
  readonly is_active: boolean;
  readonly tags: readonly string[];
  readonly displayname?: Translation;
  readonly description?: Translation;
  readonly reporter?: Reporter;
  readonly payload?: Payload;
  /** action -> user shortname; `processed_by` is the last lock holder (section 4). */
  readonly collaborators: Readonly<Record<string, string>>;
  readonly owner_shortname: string;
  readonly owner_group_shortname?: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** The last lock taken, or `null`; it may have expired: read it through `activeLock(ticket, now)`. */
  readonly lock: TicketLock | null;
  readonly comments: readonly TicketComment[];
  /** Every assignment, oldest first (section 4, assign). */
  readonly assignments: readonly TicketAssignment[];
}

/**
 * State of one ticket stream: nothing yet, a live ticket, deleted (section 4, delete), or moved away to `to`
 * (section 4, move). Commands other than create/move-in on anything but `active` are refused with 220.
 */
export type TicketState =
  | Readonly<{ status: 'absent' }>
  | ActiveTicket
  | Readonly<{ status: 'deleted' }>
  | Readonly<{ status: 'moved'; to: ResourceKey }>;

/** An empty ticket stream. */
export const initialTicketState = (): TicketState => ({ status: 'absent' });

/**
 * The ticket's lock if it is still in force at `now` (ISO-8601), else `null`: a lock whose `expires_at <= now`
 * is treated as absent (section 4: locks expire by time, **Fix**). Fail-safe: when `now` does not parse, a lock
 * counts as in force (a bad clock never unlocks a ticket).
 */
export const activeLock = (ticket: ActiveTicket, now: string): TicketLock | null =>
  ticket.lock !== null && !(instantMs(now) >= instantMs(ticket.lock.expires_at)) ? ticket.lock : null;

/** The snapshot a move carries (section 4, move): the whole ticket, creation attributes plus the rest. */
export type TicketSnapshot = TicketMovedIn['data']['snapshot'];

/**
 * The snapshot for `MoveTicketIn`: the ticket as it is (from the source stream's state **before** the move), at
 * its destination key `to`.
 */
export const ticketSnapshot = (ticket: ActiveTicket, to: ResourceKey): TicketSnapshot => {
  const { status: _status, lock, comments, assignments, resolution_reason, updated_at, ...attributes } = ticket;
  return {
    ...attributes,
    space_name: to.space_name,
    subpath: to.subpath,
    shortname: to.shortname,
    resolution_reason,
    comments,
    lock,
    updated_at,
    assignments,
  };
};
