import { normalizeSubpath, resourcePath } from '@tickets/contracts';
import type { EditableAttributes, ResourceKey, TicketComment, TicketCreated, TicketEvent, TicketSnapshotExtras } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';
import { toDate } from '../shared/mongo.helpers';
import { counterDeltas, countedFactsOf, type CountedFacts, type CounterDimension } from '../tickets/ticket-counters';
import { countedFactsAfter, ticketKeyOf, ticketWriteFor } from '../tickets/ticket-details.projection';

/** `schema_version` of the events on `tickets.events.v1` (libs/contracts/src/schemas/ticket-event.v1.schema.json). */
export const TICKET_EVENT_SCHEMA_VERSION = 1;
/** Value of the `x-schema` header of each message. */
export const TICKET_EVENT_SCHEMA = 'ticket-event.v1';

/** The counted attributes of a live ticket, as the dashboards count it (`null` in an event: not live). */
export interface TicketSummary {
  readonly state: string;
  readonly is_open: boolean;
  readonly owner_shortname: string;
  readonly owner_group_shortname: string | null;
  readonly workflow_shortname: string;
}

/** A change of one dashboard counter of the event's space (`ticket_counters`, docs/read-models.md). */
export interface CounterChange {
  readonly dimension: CounterDimension;
  /** `*` for `all`; otherwise the state id, owner, team or workflow shortname. */
  readonly key: string;
  /** Signed increments of `open` and `closed`. */
  readonly open: number;
  readonly closed: number;
}

/**
 * The public event published on `tickets.events.v1` for each event of a ticket stream (docs/integration-events.md;
 * JSON Schema `ticket-event.v1.schema.json` in @tickets/contracts). Message key: `ticket_path`. At least once:
 * consumers de-duplicate by `event_id` (and may drop a `revision` at or below the last one they applied).
 */
export interface TicketIntegrationEvent {
  readonly schema_version: typeof TICKET_EVENT_SCHEMA_VERSION;
  /** The event store's event id (UUID): the de-duplication key. */
  readonly event_id: string;
  /** The domain event type, e.g. `TicketProgressed`. */
  readonly event_type: string;
  /** `space_name/subpath/shortname` (the message key, the `_id` in the `tickets` read model). */
  readonly ticket_path: string;
  readonly space_name: string;
  readonly subpath: string;
  readonly shortname: string;
  /** 0-based revision within the ticket's stream. */
  readonly revision: number;
  /** Global position in the event log, decimal string (64-bit). */
  readonly position: string;
  /** Business time (the command's `issued_at`), ISO-8601. */
  readonly occurred_at: string;
  /** When the store committed the event, ISO-8601. */
  readonly recorded_at: string;
  readonly actor: string | null;
  readonly command_id: string | null;
  readonly correlation_id: string | null;
  /** The ticket after the event; `null` when it is not live (deleted, moved away, never created). */
  readonly ticket: TicketSummary | null;
  /** The ticket before the event, same rules. */
  readonly previous: TicketSummary | null;
  /** What changed, by `event_type` (see the JSON Schema); `{}` for a type this version does not describe. */
  readonly change: Readonly<Record<string, unknown>>;
  /** The net changes of the space's dashboard counters (empty when none). */
  readonly counter_deltas: readonly CounterChange[];
}

/**
 * The counted facts of a ticket after `event`, given those before (pure; the same fold as the `tickets`
 * projection: a creation or move-in counts the new ticket, an update overlays the counted attributes, a delete
 * or move-out ends it, and after that only a new creation counts again).
 * @throws RangeError as `ticketWriteFor` (not a ticket stream, revision/position beyond 2^53 - 1).
 */
export function nextTicketFacts(before: CountedFacts | null, event: RecordedEvent): CountedFacts | null {
  const write = ticketWriteFor(event);
  return write.kind === 'update' ? countedFactsAfter(before, write) : countedFactsOf(write.document);
}

/**
 * The public event of one ticket-stream event (pure), given the ticket's counted facts before and after it
 * ({@link nextTicketFacts}).
 * @throws RangeError when the stream is not a ticket stream.
 */
export function ticketIntegrationEvent(event: RecordedEvent, before: CountedFacts | null, after: CountedFacts | null): TicketIntegrationEvent {
  const key = ticketKeyOf(event.stream_id);
  const metadata = event.metadata ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    schema_version: TICKET_EVENT_SCHEMA_VERSION,
    event_id: event.id,
    event_type: event.type,
    ticket_path: resourcePath(key),
    space_name: key.space_name,
    subpath: key.subpath,
    shortname: key.shortname,
    revision: Number(event.revision),
    position: event.position.toString(),
    occurred_at: toDate(text(metadata.occurred_at), event.recorded_at).toISOString(),
    recorded_at: toDate(event.recorded_at, event.recorded_at).toISOString(),
    actor: text(metadata.actor),
    command_id: text(metadata.command_id),
    correlation_id: text(metadata.correlation_id),
    ticket: summaryOf(after),
    previous: summaryOf(before),
    change: publicChange(event),
    counter_deltas: counterDeltas(before, after).map(({ dimension, key: counterKey, open, closed }) => ({ dimension, key: counterKey, open, closed })),
  };
}

function summaryOf(facts: CountedFacts | null): TicketSummary | null {
  if (!facts) return null;
  return {
    state: facts.state,
    is_open: facts.is_open,
    owner_shortname: facts.owner_shortname,
    owner_group_shortname: facts.owner_group_shortname,
    workflow_shortname: facts.workflow_shortname,
  };
}

const path = (key: ResourceKey) => resourcePath({ ...key, subpath: normalizeSubpath(key.subpath) });

function createdAttributes(data: TicketCreated['data'] & TicketSnapshotExtras): Record<string, unknown> {
  return {
    uuid: data.uuid,
    workflow_shortname: data.workflow_shortname,
    workflow_version: data.workflow_version,
    state: data.state,
    is_open: data.is_open,
    is_active: data.is_active ?? false,
    tags: [...(data.tags ?? [])],
    owner_shortname: data.owner_shortname,
    owner_group_shortname: data.owner_group_shortname ?? null,
    collaborators: { ...(data.collaborators ?? {}) },
    displayname: data.displayname,
    description: data.description,
    payload: data.payload,
    reporter: data.reporter,
    created_at: data.created_at,
  };
}

function comment(c: TicketComment): Record<string, unknown> {
  return { shortname: c.shortname, uuid: c.uuid, body: c.body, author: c.author, created_at: c.created_at, state: c.state };
}

const EDITABLE: readonly (keyof EditableAttributes)[] = ['displayname', 'description', 'tags', 'is_active', 'reporter', 'payload', 'collaborators'];

/**
 * The public `change` of a ticket event (pure): an explicit selection of the domain event's data, so internal
 * fields never leak into the contract by accident. Unknown event types give `{}`.
 */
export function publicChange(event: RecordedEvent): Record<string, unknown> {
  const ticketEvent = { type: event.type, data: event.data } as TicketEvent;
  switch (ticketEvent.type) {
    case 'TicketCreated':
      return createdAttributes(ticketEvent.data);
    case 'TicketMovedIn': {
      const d = ticketEvent.data;
      return { from: path(d.from), at: d.at, ...createdAttributes(d.snapshot), resolution_reason: d.snapshot.resolution_reason ?? null };
    }
    case 'TicketProgressed': {
      const d = ticketEvent.data;
      return {
        action: d.action,
        from_state: d.from_state,
        state: d.state,
        is_open: d.is_open,
        resolution_reason: d.resolution_reason ?? null,
        actor: d.actor,
        at: d.at,
        comment: d.comment ? comment(d.comment) : undefined,
      };
    }
    case 'TicketUpdated': {
      const set = (ticketEvent.data.set ?? {}) as Record<string, unknown>;
      return {
        set: Object.fromEntries(EDITABLE.filter((name) => set[name] !== undefined).map((name) => [name, set[name]])),
        unset: (ticketEvent.data.unset ?? []).filter((name) => EDITABLE.includes(name)),
        at: ticketEvent.data.at,
      };
    }
    case 'TicketAssigned': {
      const d = ticketEvent.data;
      return {
        owner_shortname: d.owner_shortname,
        owner_group_shortname: d.owner_group_shortname ?? null,
        previous_owner_shortname: d.previous_owner_shortname,
        previous_owner_group_shortname: d.previous_owner_group_shortname ?? null,
        by: d.by,
        at: d.at,
      };
    }
    case 'TicketLocked':
      return { holder: ticketEvent.data.holder, expires_at: ticketEvent.data.expires_at, at: ticketEvent.data.at };
    case 'TicketUnlocked':
      return { holder: ticketEvent.data.holder, at: ticketEvent.data.at };
    case 'CommentAdded':
      return { comment: comment(ticketEvent.data.comment) };
    case 'TicketDeleted':
      return { by: ticketEvent.data.by, at: ticketEvent.data.at };
    case 'TicketMovedOut':
      return { to: path(ticketEvent.data.to), at: ticketEvent.data.at };
    default: {
      const _: never = ticketEvent;
      void _;
      return {};
    }
  }
}
