import type { TicketCreated, TicketEvent, TicketMovedIn } from './ticket.events';
import type { ActiveTicket, TicketState } from './ticket.state';

/**
 * Applies one ticket event to the state (TICKETS.md section 4). Events are facts: evolve never refuses; an event
 * that only makes sense on a live ticket leaves any other state unchanged.
 * - `TicketCreated` / `TicketMovedIn`: a fresh live ticket (a stream may start a new life after a delete/move).
 * - `TicketProgressed`: state, is_open, resolution_reason, `collaborators[action] = actor`, the comment.
 * - `TicketUpdated`: `set` attributes replace, `unset` ones are removed.
 * - `TicketAssigned`: new owner/team, appended to the assignment history.
 * - `TicketLocked`: the lock, and `collaborators.processed_by = holder`. `TicketUnlocked`: no lock.
 * - `CommentAdded`: the comment. `TicketDeleted`: deleted. `TicketMovedOut`: moved to `to`.
 * `updated_at` follows the events that change the ticket's attributes (not lock/unlock/comments).
 */
export const evolveTicket = (state: TicketState, event: TicketEvent): TicketState => {
  const { type } = event;
  switch (type) {
    case 'TicketCreated':
      return fromCreated(event.data);
    case 'TicketMovedIn':
      return fromMovedIn(event.data);
    case 'TicketDeleted':
      return { status: 'deleted' };
    case 'TicketMovedOut':
      return { status: 'moved', to: event.data.to };
    case 'TicketProgressed': {
      if (state.status !== 'active') return state;
      const { data } = event;
      return {
        ...state,
        state: data.state,
        is_open: data.is_open,
        resolution_reason: data.resolution_reason,
        collaborators: { ...state.collaborators, [data.action]: data.actor },
        comments: data.comment === undefined ? state.comments : [...state.comments, data.comment],
        updated_at: data.at,
      };
    }
    case 'TicketUpdated': {
      if (state.status !== 'active') return state;
      const next: Record<string, unknown> = { ...state, ...event.data.set, updated_at: event.data.at };
      for (const attribute of event.data.unset) delete next[attribute];
      return next as unknown as ActiveTicket;
    }
    case 'TicketAssigned': {
      if (state.status !== 'active') return state;
      const { data } = event;
      const { owner_group_shortname: _previousGroup, ...rest } = state;
      return {
        ...rest,
        owner_shortname: data.owner_shortname,
        ...(data.owner_group_shortname === undefined ? {} : { owner_group_shortname: data.owner_group_shortname }),
        assignments: [...state.assignments, data],
        updated_at: data.at,
      };
    }
    case 'TicketLocked':
      if (state.status !== 'active') return state;
      return {
        ...state,
        lock: { holder: event.data.holder, expires_at: event.data.expires_at },
        collaborators: { ...state.collaborators, processed_by: event.data.holder },
      };
    case 'TicketUnlocked':
      return state.status === 'active' ? { ...state, lock: null } : state;
    case 'CommentAdded':
      return state.status === 'active' ? { ...state, comments: [...state.comments, event.data.comment] } : state;
    default: {
      const _: never = type;
      return _;
    }
  }
};

const fromCreated = (data: TicketCreated['data']): ActiveTicket => ({
  status: 'active',
  ...data,
  resolution_reason: null,
  updated_at: data.created_at,
  lock: null,
  comments: [],
  assignments: [],
});

const fromMovedIn = ({ snapshot }: TicketMovedIn['data']): ActiveTicket => {
  const { resolution_reason, comments, lock, updated_at, assignments, ...created } = snapshot;
  return {
    status: 'active',
    ...created,
    resolution_reason: resolution_reason ?? null,
    updated_at: updated_at ?? created.created_at,
    lock: lock ?? null,
    comments: comments ?? [],
    assignments: assignments ?? [],
  };
};
