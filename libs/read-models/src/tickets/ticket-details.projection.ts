import type { mongo } from 'mongoose';
import { normalizeSubpath, resourcePath } from '@tickets/contracts';
import type {
  ResourceKey,
  TicketAssigned,
  TicketComment,
  TicketCreated,
  TicketEvent,
  TicketSnapshotExtras,
  EditableAttributes,
} from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';
import type { ApplyOutcome, Projection } from '../projection';
import { isDuplicateKeyError, toDate, toSafeNumber } from '../shared/mongo.helpers';
import { guardDecision, writeGuarded, type GuardedWrite, type KeyedCollection } from '../shared/revision-guard';
import { encodeUserData, escapeKey } from '../shared/user-data.codec';
import { countedFactsOf, counterDeltas, type CountedFacts, type CounterDelta } from './ticket-counters';
import type { AssignmentRecord, CommentRecord, TicketDocument } from './ticket.schema';

/** Stream category of ticket streams (`streamIds.ticket` in @tickets/contracts). */
export const TICKET_STREAM_CATEGORY = 'ticket';
const TICKET_STREAM_PREFIX = `${TICKET_STREAM_CATEGORY}-`;

type Document = mongo.Document;

/**
 * The resource key of a ticket stream id `ticket-<space>/<subpath>/<shortname>` (`streamIds.ticket`): the
 * first segment is the space, the last the shortname (neither holds a `/`, TICKETS.md section 1), the rest
 * the subpath. The stream id is the ticket's identity, so every event of the stream maps to one document.
 * @throws RangeError when `streamId` is not a ticket stream id.
 */
export function ticketKeyOf(streamId: string): ResourceKey {
  const segments = streamId.startsWith(TICKET_STREAM_PREFIX) ? streamId.slice(TICKET_STREAM_PREFIX.length).split('/') : [];
  if (segments.length < 2 || !segments[0] || !segments[segments.length - 1]) {
    throw new RangeError(`not a ticket stream id: ${streamId}`);
  }
  return {
    space_name: segments[0],
    subpath: normalizeSubpath(segments.slice(1, -1).join('/')),
    shortname: segments[segments.length - 1],
  };
}

/** `_id` of the `tickets` document of a ticket stream: `space_name/subpath/shortname` (`resourcePath`). */
export function ticketDocumentId(streamId: string): string {
  return resourcePath(ticketKeyOf(streamId));
}

/** The attributes `TicketUpdated.set` may replace and `unset` may remove (TICKETS.md section 4, update). */
const EDITABLE_ATTRIBUTES: readonly (keyof EditableAttributes)[] = [
  'displayname',
  'description',
  'tags',
  'is_active',
  'reporter',
  'payload',
  'collaborators',
];
/** Editable attributes holding user data, stored encoded (shared/user-data.codec.ts). */
const USER_DATA_ATTRIBUTES: ReadonlySet<string> = new Set(['displayname', 'description', 'reporter', 'payload', 'collaborators']);

/** A `tickets` document as stored (user data encoded). */
export type StoredTicketDocument = TicketDocument;

/**
 * The write one event makes to its ticket's document, before the revision guard is added:
 * - `insert`: the whole document of a ticket's first event (revision 0: `TicketCreated`, `TicketMovedIn`);
 * - `replace`: the whole document when such an event comes later in a stream (a ticket re-created or moved
 *   back under a key whose stream already exists);
 * - `update`: a MongoDB update (`$set`/`$unset`/`$push`) that always sets `revision` and `last_position`.
 */
export type TicketWrite =
  | { readonly kind: 'insert' | 'replace'; readonly document: StoredTicketDocument }
  | { readonly kind: 'update'; readonly update: mongo.UpdateFilter<Document> & { readonly $set: Document } };

/**
 * The write of one ticket event (pure: same event, same write). Handles every `TicketEvent` with the
 * meaning `evolveTicket` of @tickets/domain gives it (TICKETS.md section 4); an event type it does not know
 * only advances `revision`/`last_position`, so the revision guard keeps matching the following events.
 *
 * Units: `revision`/`last_position` become numbers (see `toSafeNumber`); instants become `Date`s.
 * `updated_at` is the event's `metadata.occurred_at` (business time; `recorded_at` if absent) for the events
 * that change the ticket's attributes, and is left alone by lock, unlock and comments (as in the domain's
 * state and in Dmart, where locks and comments are attachments); a created ticket has `updated_at =
 * created_at`, a moved-in one the snapshot's `updated_at`.
 * @throws RangeError when the stream id is not a ticket stream or a revision/position exceeds 2^53 - 1.
 */
export function ticketWriteFor(event: RecordedEvent): TicketWrite {
  const revision = toSafeNumber(event.revision, 'revision');
  const last_position = toSafeNumber(event.position);
  const updated_at = toDate(event.metadata?.occurred_at, event.recorded_at);
  const at = (iso: string | undefined) => toDate(iso, event.recorded_at);
  const guardFields = { revision, last_position };
  const changed = (set: Document, more: Omit<mongo.UpdateFilter<Document>, '$set'> = {}): TicketWrite => ({
    kind: 'update',
    update: { ...more, $set: { ...set, updated_at, ...guardFields } },
  });
  /** A change that leaves `updated_at` alone (lock, unlock, comment). */
  const touched = (set: Document, more: Omit<mongo.UpdateFilter<Document>, '$set'> = {}): TicketWrite => ({
    kind: 'update',
    update: { ...more, $set: { ...set, ...guardFields } },
  });
  const ticketEvent = { type: event.type, data: event.data } as TicketEvent;

  switch (ticketEvent.type) {
    case 'TicketCreated':
    case 'TicketMovedIn': {
      const data =
        ticketEvent.type === 'TicketCreated'
          ? (ticketEvent.data as TicketCreated['data'] & TicketSnapshotExtras)
          : ticketEvent.data.snapshot;
      const key = ticketKeyOf(event.stream_id);
      const document = withoutUndefined({
        _id: resourcePath(key),
        uuid: data.uuid,
        shortname: key.shortname,
        space_name: key.space_name,
        subpath: key.subpath,
        is_active: data.is_active ?? false,
        displayname: encodeUserData(data.displayname),
        description: encodeUserData(data.description),
        tags: [...(data.tags ?? [])],
        payload: encodeUserData(data.payload),
        state: data.state,
        is_open: data.is_open,
        reporter: encodeUserData(data.reporter),
        workflow_shortname: data.workflow_shortname,
        workflow_version: data.workflow_version,
        collaborators: encodeUserData({ ...(data.collaborators ?? {}) }),
        resolution_reason: data.resolution_reason ?? null,
        owner_shortname: data.owner_shortname,
        owner_group_shortname: data.owner_group_shortname ?? null,
        assignment_history: (data.assignments ?? []).map((a) => assignmentRecord(a, at)),
        lock: data.lock ? { holder: data.lock.holder, expires_at: at(data.lock.expires_at) } : null,
        comments: (data.comments ?? []).map((c) => commentRecord(c, at)),
        created_at: at(data.created_at),
        updated_at: at(data.updated_at ?? data.created_at),
        // A snapshot does not say when its ticket closed: its last change is the closest known instant.
        closed_at: data.is_open ? null : at(data.updated_at ?? data.created_at),
        ...guardFields,
        deleted: false,
        moved_to: null,
      }) as StoredTicketDocument;
      return { kind: revision === 0 ? 'insert' : 'replace', document };
    }
    case 'TicketProgressed': {
      const d = ticketEvent.data;
      const set: Document = {
        state: d.state,
        is_open: d.is_open,
        closed_at: d.is_open ? null : toDate(d.at, event.recorded_at),
        resolution_reason: d.resolution_reason ?? null,
        [`collaborators.${escapeKey(d.action)}`]: d.actor,
      };
      return changed(set, d.comment ? { $push: { comments: commentRecord(d.comment, at) } } : {});
    }
    case 'TicketUpdated': {
      const set: Document = {};
      const unset: Document = {};
      const values = (ticketEvent.data.set ?? {}) as Record<string, unknown>;
      for (const name of EDITABLE_ATTRIBUTES) {
        const value = values[name];
        if (value === undefined) continue;
        // `null` removes the attribute (a patch's `null`); a stored null collaborators map would break `$set`s below it.
        if (value === null) unset[name] = '';
        else set[name] = USER_DATA_ATTRIBUTES.has(name) ? encodeUserData(value) : value;
      }
      for (const name of ticketEvent.data.unset ?? []) {
        if (EDITABLE_ATTRIBUTES.includes(name) && !(name in set)) unset[name] = '';
      }
      return changed(set, Object.keys(unset).length > 0 ? { $unset: unset } : {});
    }
    case 'TicketAssigned': {
      const d = ticketEvent.data;
      const record = assignmentRecord(d, at);
      return changed(
        { owner_shortname: record.owner_shortname, owner_group_shortname: record.owner_group_shortname },
        { $push: { assignment_history: record } },
      );
    }
    case 'TicketLocked': {
      const d = ticketEvent.data;
      return touched({ lock: { holder: d.holder, expires_at: at(d.expires_at) }, 'collaborators.processed_by': d.holder });
    }
    case 'TicketUnlocked':
      return touched({ lock: null });
    case 'CommentAdded':
      return touched({}, { $push: { comments: commentRecord(ticketEvent.data.comment, at) } });
    case 'TicketDeleted':
      return changed({ deleted: true });
    case 'TicketMovedOut': {
      const to = ticketEvent.data.to;
      return changed({ deleted: true, moved_to: resourcePath({ ...to, subpath: normalizeSubpath(to.subpath) }) });
    }
    default: {
      const _: never = ticketEvent;
      void _;
      return { kind: 'update', update: { $set: guardFields } };
    }
  }
}

/**
 * The counter facts after `write`, given those before (pure). Whole-document writes count the new document;
 * updates overlay the counted attributes they set (`deleted: true` removes the ticket from the counters).
 */
export function countedFactsAfter(before: CountedFacts | null, write: TicketWrite): CountedFacts | null {
  if (write.kind !== 'update') return countedFactsOf(write.document);
  if (!before) return null;
  const set = write.update.$set;
  if (set.deleted === true) return null;
  const pick = <K extends keyof CountedFacts>(name: K): CountedFacts[K] =>
    name in set ? (set[name] as CountedFacts[K]) : before[name];
  return {
    space_name: before.space_name,
    state: pick('state'),
    is_open: pick('is_open'),
    owner_shortname: pick('owner_shortname'),
    owner_group_shortname: pick('owner_group_shortname'),
    workflow_shortname: before.workflow_shortname,
  };
}

function assignmentRecord(assigned: TicketAssigned['data'], at: (iso: string | undefined) => Date): AssignmentRecord {
  return {
    owner_shortname: assigned.owner_shortname,
    owner_group_shortname: assigned.owner_group_shortname ?? null,
    by: assigned.by,
    at: at(assigned.at),
  };
}

function commentRecord(comment: TicketComment, at: (iso: string | undefined) => Date): CommentRecord {
  return {
    shortname: comment.shortname,
    uuid: comment.uuid,
    body: comment.body,
    author: comment.author,
    created_at: at(comment.created_at),
    state: comment.state,
  };
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const GUARD_PROJECTION = {
  revision: 1,
  space_name: 1,
  state: 1,
  is_open: 1,
  owner_shortname: 1,
  owner_group_shortname: 1,
  workflow_shortname: 1,
  deleted: 1,
} as const;

/**
 * The `tickets` projection (with its dashboard counters), applied with the revision guard of oskardudycz's
 * samples/decider (ARCHITECTURE.md "Read models": idempotent, revision guard per document):
 * 1. read the document's revision and counted facts; a document at or past the event's revision means a
 *    replay (`duplicate`), one missing or more than one behind means `gap`;
 * 2. apply the counter deltas, each guarded by the counter's own `last_position < event.position`;
 * 3. write the document: insert at revision 0 (duplicate key = replay), otherwise only where
 *    `revision == event.revision - 1`.
 * This order makes the counters crash-safe without transactions (FerretDB v1 has none): a crash after step 2
 * replays step 2 as a no-op and completes step 3; a crash after step 3 makes the whole event a duplicate.
 */
export class TicketDetailsProjection implements Projection {
  readonly name = 'tickets';
  readonly categories = [TICKET_STREAM_CATEGORY] as const;

  constructor(
    private readonly tickets: KeyedCollection,
    private readonly counters: KeyedCollection,
  ) {}

  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    const id = ticketDocumentId(event.stream_id);
    const revision = toSafeNumber(event.revision, 'revision');
    const position = toSafeNumber(event.position);
    const before = await this.tickets.findOne({ _id: id }, { projection: GUARD_PROJECTION });
    const decision = guardDecision(before ? (before.revision as number) : null, revision);
    if (decision !== 'apply') return decision;

    let write = ticketWriteFor(event);
    // A stream that does not start with a creation has no document to advance (not a ticket we know).
    if (!before && write.kind === 'update') return 'ignored';
    // As in the domain's evolve, a deleted or moved-away ticket ignores everything but a new life.
    const dead = before?.deleted === true && write.kind === 'update';
    if (dead) write = { kind: 'update', update: { $set: { revision, last_position: position } } };
    const beforeFacts = countedFactsOf(before as Parameters<typeof countedFactsOf>[0]);
    await this.applyCounters(counterDeltas(beforeFacts, countedFactsAfter(beforeFacts, write)), position, event);

    const outcome = await writeGuarded(this.tickets, id, revision, write as GuardedWrite);
    if (outcome === 'duplicate') return outcome;
    return isTicketEventType(event.type) && !dead ? 'applied' : 'ignored';
  }

  private async applyCounters(deltas: readonly CounterDelta[], position: number, event: RecordedEvent): Promise<void> {
    if (deltas.length === 0) return;
    const updated_at = toDate(event.metadata?.occurred_at, event.recorded_at);
    try {
      await this.counters.bulkWrite(
        deltas.map((d) => ({
          updateOne: {
            filter: { _id: d._id, last_position: { $lt: position } },
            update: {
              $inc: { open: d.open, closed: d.closed },
              $set: { last_position: position, updated_at },
              $setOnInsert: { space_name: d.space_name, dimension: d.dimension, key: d.key },
            },
            upsert: true,
          },
        })),
        { ordered: false },
      );
    } catch (error) {
      // A counter already at or past this position turns its upsert into a duplicate insert: already counted.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

const TICKET_EVENT_TYPES: ReadonlySet<string> = new Set<TicketEvent['type']>([
  'TicketCreated',
  'TicketProgressed',
  'TicketUpdated',
  'TicketAssigned',
  'TicketLocked',
  'TicketUnlocked',
  'CommentAdded',
  'TicketDeleted',
  'TicketMovedOut',
  'TicketMovedIn',
]);

/** True for the event types of the `TicketEvent` union (@tickets/domain). */
export function isTicketEventType(type: string): type is TicketEvent['type'] {
  return TICKET_EVENT_TYPES.has(type);
}
