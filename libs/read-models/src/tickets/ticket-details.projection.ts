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
import { toDate, toSafeNumber } from '../shared/mongo.helpers';
import { guardDecision, type KeyedCollection, type KeyedDocument } from '../shared/revision-guard';
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
  const segments = streamId.startsWith(TICKET_STREAM_PREFIX)
    ? streamId.slice(TICKET_STREAM_PREFIX.length).split('/')
    : [];
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
const USER_DATA_ATTRIBUTES: ReadonlySet<string> = new Set([
  'displayname',
  'description',
  'reporter',
  'payload',
  'collaborators',
]);

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
      return touched({
        lock: { holder: d.holder, expires_at: at(d.expires_at) },
        'collaborators.processed_by': d.holder,
      });
    }
    case 'TicketUnlocked':
      return touched({ lock: null });
    case 'CommentAdded':
      return touched({}, { $push: { comments: commentRecord(ticketEvent.data.comment, at) } });
    case 'TicketDeleted':
      return changed({ deleted: true });
    case 'TicketMovedOut': {
      const to = ticketEvent.data.to;
      return changed({
        deleted: true,
        moved_to: resourcePath({ ...to, subpath: normalizeSubpath(to.subpath) }),
      });
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

function assignmentRecord(
  assigned: TicketAssigned['data'],
  at: (iso: string | undefined) => Date,
): AssignmentRecord {
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

/** What a batch knows about one ticket document while folding its events (`null` in the map: no document). */
interface FoldedTicket {
  readonly revision: number;
  readonly deleted: boolean;
  /** The counter facts (`null`: not counted, e.g. deleted). */
  readonly facts: CountedFacts | null;
}

/** One event's change of one counter, with the event's position (the counter's replay guard) and time. */
interface PendingCount {
  readonly delta: CounterDelta;
  readonly position: number;
  readonly updated_at: Date;
}

/**
 * The `tickets` projection (with its dashboard counters), applied with the revision guard of oskardudycz's
 * samples/decider (ARCHITECTURE.md "Read models": idempotent, revision guard per document), a batch at a time,
 * in ONE MongoDB transaction per batch (the read models run on a replica set):
 * 1. load the batch's documents (`_id: {$in}`: revision and counted facts) and fold the events in memory
 *    with {@link ticketWriteFor} (the one definition of what an event does to a document): an event at or
 *    behind the folded revision is a `duplicate`, one more than a revision ahead a `gap`;
 * 2. write the documents with ONE ordered `bulkWrite` of the per-event writes, each still guarded by
 *    `revision == event.revision - 1` (insert at revision 0);
 * 3. load the counters the batch touches and add the deltas of the events after each counter's own
 *    `last_position` (the counters' replay guard), ONE `bulkWrite`;
 * 4. commit. Documents and counters change together or not at all, so counters are exactly once even across
 *    crashes. Write concern `majority` on the commit (on a one-node replica set: journaled), read concern
 *    `snapshot`: a concurrent writer of the same documents (the rebuild handing over, the re-apply command)
 *    makes one transaction fail with `TransientTransactionError`, which the runner retries. The cost of
 *    majority is paid once per batch, not per event.
 */
export class TicketDetailsProjection implements Projection {
  readonly name = 'tickets';
  readonly categories = [TICKET_STREAM_CATEGORY] as const;

  constructor(
    private readonly tickets: KeyedCollection,
    private readonly counters: KeyedCollection,
    private readonly client: mongo.MongoClient,
  ) {}

  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    const [outcome] = await this.applyBatch([event]);
    return outcome;
  }

  /**
   * See `Projection.applyBatch`: all or nothing (one transaction).
   * @throws RangeError for a non-ticket stream id or a revision/position beyond 2^53 - 1; the driver's errors
   *   (e.g. the BSON serializer's for data it cannot encode).
   */
  async applyBatch(events: readonly RecordedEvent[]): Promise<ApplyOutcome[]> {
    if (events.length === 0) return [];
    const ids = events.map((event) => ticketDocumentId(event.stream_id));
    const session = this.client.startSession();
    try {
      session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
      const loaded = await this.tickets
        .find({ _id: { $in: [...new Set(ids)] } }, { projection: GUARD_PROJECTION, session })
        .toArray();
      const folded = new Map<string, FoldedTicket>(
        loaded.map((doc) => [
          doc._id,
          {
            revision: doc.revision as number,
            deleted: doc.deleted === true,
            facts: countedFactsOf(doc as unknown as Parameters<typeof countedFactsOf>[0]),
          },
        ]),
      );
      const writes: mongo.AnyBulkWriteOperation<KeyedDocument>[] = [];
      const counts: PendingCount[] = [];
      const outcomes = events.map((event, i) => this.fold(event, ids[i], folded, writes, counts));
      if (writes.length > 0) await this.tickets.bulkWrite(writes, { ordered: true, session });
      await this.writeCounters(counts, session);
      await session.commitTransaction();
      return outcomes;
    } catch (error) {
      if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
      throw error;
    } finally {
      await session.endSession();
    }
  }

  /** Marks the ticket's document `parked: true` (not current), or removes the mark. No document: nothing to mark. */
  async markParked(stream_id: string, parked: boolean): Promise<void> {
    await this.tickets.updateOne(
      { _id: ticketDocumentId(stream_id) },
      parked ? { $set: { parked: true } } : { $unset: { parked: '' } },
    );
  }

  /** Folds one event into `folded`, adding its document write and counter changes; resolves its outcome. Pure but for its arguments. */
  private fold(
    event: RecordedEvent,
    id: string,
    folded: Map<string, FoldedTicket>,
    writes: mongo.AnyBulkWriteOperation<KeyedDocument>[],
    counts: PendingCount[],
  ): ApplyOutcome {
    const revision = toSafeNumber(event.revision, 'revision');
    const position = toSafeNumber(event.position);
    const before = folded.get(id) ?? null;
    const decision = guardDecision(before ? before.revision : null, revision);
    if (decision !== 'apply') return decision;

    let write = ticketWriteFor(event);
    // A stream that does not start with a creation has no document to advance (not a ticket we know).
    if (!before && write.kind === 'update') return 'ignored';
    // As in the domain's evolve, a deleted or moved-away ticket ignores everything but a new life.
    const dead = before?.deleted === true && write.kind === 'update';
    if (dead) write = { kind: 'update', update: { $set: { revision, last_position: position } } };
    const facts = countedFactsAfter(before?.facts ?? null, write);
    const updated_at = toDate(event.metadata?.occurred_at, event.recorded_at);
    for (const delta of counterDeltas(before?.facts ?? null, facts))
      counts.push({ delta, position, updated_at });

    // Update-type operations only: the driver sends each run of one operation type as a command of its own, so
    // inserts between updates would cost a round trip each. Revision 0's insert is an upsert of a document the
    // batch found absent (a concurrent insert is a write conflict, retried).
    const guard = write.kind === 'insert' ? { _id: id } : { _id: id, revision: revision - 1 };
    if (write.kind === 'update') {
      writes.push({
        updateOne: { filter: guard, update: write.update as mongo.UpdateFilter<KeyedDocument> },
      });
    } else {
      const replacement = write.document as unknown as KeyedDocument;
      writes.push({ replaceOne: { filter: guard, replacement, upsert: write.kind === 'insert' } });
    }
    const deleted =
      write.kind === 'update'
        ? before?.deleted === true || write.update.$set.deleted === true
        : write.document.deleted === true;
    folded.set(id, { revision, deleted, facts });
    return isTicketEventType(event.type) && !dead ? 'applied' : 'ignored';
  }

  /**
   * Adds `counts` to the counters: per counter, only the events after its `last_position` (a replay, or a crash
   * of the non-transactional v2 projection between its counter and document writes, counted them already).
   */
  private async writeCounters(counts: readonly PendingCount[], session: mongo.ClientSession): Promise<void> {
    if (counts.length === 0) return;
    const ids = [...new Set(counts.map((c) => c.delta._id))];
    const stored = await this.counters
      .find({ _id: { $in: ids } }, { projection: { last_position: 1 }, session })
      .toArray();
    const guard = new Map(stored.map((c) => [c._id, c.last_position as number]));
    const merged = new Map<
      string,
      { delta: CounterDelta; open: number; closed: number; position: number; updated_at: Date }
    >();
    for (const { delta, position, updated_at } of counts) {
      const counted = guard.get(delta._id);
      if (counted !== undefined && position <= counted) continue;
      const entry = merged.get(delta._id) ?? { delta, open: 0, closed: 0, position, updated_at };
      merged.set(delta._id, {
        ...entry,
        open: entry.open + delta.open,
        closed: entry.closed + delta.closed,
        position,
        updated_at,
      });
    }
    if (merged.size === 0) return;
    // One operation type (see `fold`): a counter the batch found absent is created by the upsert.
    const ops: mongo.AnyBulkWriteOperation<KeyedDocument>[] = [...merged.values()].map(
      ({ delta, open, closed, position, updated_at }) => ({
        updateOne: {
          filter: { _id: delta._id },
          update: {
            $inc: { open, closed },
            $set: { last_position: position, updated_at },
            $setOnInsert: { space_name: delta.space_name, dimension: delta.dimension, key: delta.key },
          },
          upsert: true,
        },
      }),
    );
    await this.counters.bulkWrite(ops, { ordered: true, session });
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
