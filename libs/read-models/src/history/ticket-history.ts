import { isTicketEventType } from '../tickets/ticket-details.projection';
import { resourcePath, ticketView } from '@tickets/contracts';
import { evolveTicket, initialTicketState, type ResourceKey, type TicketEvent, type TicketState } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';

/**
 * A ticket's history and past states, computed from its event stream (TICKETS.md section 7: "the history of a
 * ticket is served as records of `{actor, timestamp, diff: {field: {old, new}}}` (Dmart's history shape), and a
 * ticket can be read as it was at any past time or position"). The stream is folded with the domain's own
 * `evolveTicket`, so a past state is exactly what the ticket-service saw; consecutive states are compared as
 * Dmart compares an entry before and after an update (dmart `store_entry_diff`). Pure functions.
 */


/** One changed attribute: its value before and after (`null` when absent on that side). */
export interface ValueChange {
  readonly old: unknown;
  readonly new: unknown;
}

/**
 * Changes by flattened attribute path (`state`, `payload.body.priority`, `collaborators.start`, `lock.holder`,
 * `comments`, ...). Arrays are compared as a whole and, when both sides are arrays, report only the items
 * removed (`old`) and added (`new`), as Dmart does (`arr_remove_common`).
 */
export type HistoryDiff = Readonly<Record<string, ValueChange>>;

/** One event of a ticket's stream, as history. */
export interface TicketHistoryEntry {
  /** The event's id (UUID). */
  readonly event_id: string;
  readonly event_type: string;
  /** 0-based revision within the stream. */
  readonly revision: number;
  /** Global position, a decimal string (positions are 64-bit; as in command results). */
  readonly position: string;
  /** Shortname of the user (or internal service) on whose behalf the event happened. */
  readonly actor: string;
  /** Business time of the event (ISO-8601): `metadata.occurred_at`, else the commit time. */
  readonly timestamp: string;
  readonly correlation_id?: string;
  /** What changed; `{}` when the event changed nothing visible (e.g. an event after a delete). */
  readonly diff: HistoryDiff;
}

/** Whether `event` belongs to a ticket's history (a type `evolveTicket` knows). */
export function isTicketEvent(event: Pick<RecordedEvent, 'type'>): boolean {
  return isTicketEventType(event.type);
}

/**
 * The history of one ticket stream, oldest first: one entry per ticket event, with the diff between the ticket
 * before and after it (see {@link historyView}). Events of other types are skipped.
 */
export function ticketHistory(events: readonly RecordedEvent[]): TicketHistoryEntry[] {
  const entries: TicketHistoryEntry[] = [];
  let state = initialTicketState();
  let before = historyView(state);
  for (const event of events) {
    if (!isTicketEvent(event)) continue;
    state = evolveTicket(state, event as unknown as TicketEvent);
    const after = historyView(state);
    const correlation = event.metadata?.correlation_id;
    entries.push({
      event_id: event.id,
      event_type: event.type,
      revision: Number(event.revision),
      position: event.position.toString(),
      actor: typeof event.metadata?.actor === 'string' ? event.metadata.actor : 'unknown',
      timestamp: eventTime(event),
      ...(typeof correlation === 'string' ? { correlation_id: correlation } : {}),
      diff: diffViews(before, after),
    });
    before = after;
  }
  return entries;
}

/**
 * What the history compares, flattened to `a.b.c` paths (dmart `flatten_dict`: objects are flattened, arrays
 * are values, empty objects vanish): a live ticket's Dmart view (`ticketView`: attributes, payload with body,
 * collaborators, ...) plus its `lock` and `comments`; a moved-away ticket is `{moved_to}`; an absent or deleted
 * one is `{}` (so a delete shows every attribute going to `null`). Pure.
 */
export function historyView(state: TicketState): Record<string, unknown> {
  switch (state.status) {
    case 'active':
      return flatten({
        ...ticketView(state),
        ...(state.lock ? { lock: state.lock } : {}),
        ...(state.comments.length ? { comments: state.comments } : {}),
      });
    case 'moved':
      return { moved_to: resourcePath(state.to) };
    case 'absent':
    case 'deleted':
      return {};
    default: {
      const _: never = state;
      return _;
    }
  }
}

/** The changes from `before` to `after` (flattened views), keys sorted. Pure. */
export function diffViews(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): HistoryDiff {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const diff: [string, ValueChange][] = [];
  for (const key of keys) {
    const old = Object.hasOwn(before, key) ? before[key] : null;
    const now = Object.hasOwn(after, key) ? after[key] : null;
    if (sameJson(old, now)) continue;
    if (Array.isArray(old) && Array.isArray(now)) {
      diff.push([key, { old: old.filter((x) => !now.some((y) => sameJson(x, y))), new: now.filter((y) => !old.some((x) => sameJson(x, y))) }]);
    } else diff.push([key, { old, new: now }]);
  }
  return Object.fromEntries(diff);
}

/** Where to stop folding: the last event at or before an instant, or at or before a global position. */
export type AsOfPoint = { readonly as_of: Date } | { readonly position: bigint };

/** A ticket as it was: the folded state and the last event folded into it. */
export interface TicketAsOf {
  readonly state: TicketState;
  /** Revision of the last event folded. */
  readonly revision: number;
  /** Global position of the last event folded (decimal string). */
  readonly position: string;
  /** Business time of the last event folded (ISO-8601). */
  readonly at: string;
}

/**
 * The ticket as it was at `point`: the stream's events folded with `evolveTicket` up to the last event whose
 * business time is `<= as_of` (events are taken in stream order and folding stops at the first later one), or
 * whose position is `<= position`. `null` when no event of the stream is that old. Pure.
 */
export function ticketAsOf(events: readonly RecordedEvent[], point: AsOfPoint): TicketAsOf | null {
  let state = initialTicketState();
  let last: RecordedEvent | null = null;
  for (const event of events) {
    const within = 'position' in point ? event.position <= point.position : Date.parse(eventTime(event)) <= point.as_of.getTime();
    if (!within) break;
    if (!isTicketEvent(event)) continue;
    state = evolveTicket(state, event as unknown as TicketEvent);
    last = event;
  }
  return last
    ? { state, revision: Number(last.revision), position: last.position.toString(), at: eventTime(last) }
    : null;
}

/**
 * A history entry as a Dmart history record: `{resource_type: "history", uuid, shortname, subpath,
 * attributes: {owner_shortname, actor, timestamp, diff, space_name, event_type, revision, position,
 * correlation_id?}}` (dmart `Histories.to_record`; `owner_shortname` is Dmart's name for the actor, `actor`
 * the specification's). Pure.
 */
export function historyRecord(entry: TicketHistoryEntry, key: ResourceKey): Record<string, unknown> {
  return {
    resource_type: 'history',
    uuid: entry.event_id,
    shortname: key.shortname,
    subpath: key.subpath,
    attributes: {
      owner_shortname: entry.actor,
      actor: entry.actor,
      timestamp: entry.timestamp,
      diff: entry.diff,
      space_name: key.space_name,
      event_type: entry.event_type,
      revision: entry.revision,
      position: entry.position,
      ...(entry.correlation_id ? { correlation_id: entry.correlation_id } : {}),
    },
  };
}

/** Business time of an event: `metadata.occurred_at` when it parses, else the commit time. */
function eventTime(event: RecordedEvent): string {
  const occurred = event.metadata?.occurred_at;
  return typeof occurred === 'string' && !Number.isNaN(Date.parse(occurred)) ? new Date(occurred).toISOString() : event.recorded_at;
}

function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && !(item instanceof Date)) {
      flatten(item as Record<string, unknown>, path, out);
    } else if (item !== undefined) out[path] = item;
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
