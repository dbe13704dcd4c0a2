import type { Connection, FilterQuery, Model, SortOrder } from 'mongoose';
import { normalizeSubpath, resourcePath } from '@tickets/contracts';
import type { ResourceKey } from '@tickets/domain';
import { toSafeNumber } from '../shared/mongo.helpers';
import type { KeyedCollection } from '../shared/revision-guard';
import { decodeUserData } from '../shared/user-data.codec';
import { TicketDetailsProjection } from './ticket-details.projection';
import { ticketCounterSchema, type CounterDimension, type TicketCounterDocument } from './ticket-counters';
import { ticketSchema, type TicketDocument } from './ticket.schema';
import { toTicketView, type TicketView, type TicketViewOptions } from './ticket-view';

/** Mongoose model names registered on a connection by {@link TicketsReadModel}. */
export const TICKET_MODEL_NAME = 'Ticket';
/** Mongoose model name of `ticket_counters` registered by {@link TicketsReadModel}. */
export const TICKET_COUNTER_MODEL_NAME = 'TicketCounter';

/** Options of {@link TicketsReadModel.find}. */
export interface TicketFindOptions {
  readonly sort?: Record<string, SortOrder>;
  readonly skip?: number;
  /** Maximum number of documents; default 100. */
  readonly limit?: number;
}

/**
 * The `tickets` read model and its `ticket_counters` (docs/read-models.md, v1) on one mongoose connection:
 * the models, the index set-up, the projection that maintains them, and the query API the gateway uses.
 * Every read returns decoded documents (user-data keys unescaped, shared/user-data.codec.ts) and leaves out
 * deleted/moved tickets unless it says otherwise.
 */
export class TicketsReadModel {
  readonly model: Model<TicketDocument>;
  readonly counters: Model<TicketCounterDocument>;

  constructor(connection: Connection) {
    this.model = (connection.models[TICKET_MODEL_NAME] as Model<TicketDocument> | undefined) ??
      connection.model<TicketDocument>(TICKET_MODEL_NAME, ticketSchema);
    this.counters = (connection.models[TICKET_COUNTER_MODEL_NAME] as Model<TicketCounterDocument> | undefined) ??
      connection.model<TicketCounterDocument>(TICKET_COUNTER_MODEL_NAME, ticketCounterSchema);
  }

  /** Creates the collections' indexes (idempotent; plain indexes only, FerretDB v1 compatible). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
    await this.counters.createIndexes();
  }

  /** The projection that maintains `tickets` and `ticket_counters` (for the projection runner). */
  projection(): TicketDetailsProjection {
    return new TicketDetailsProjection(
      this.model.collection as unknown as KeyedCollection,
      this.counters.collection as unknown as KeyedCollection,
    );
  }

  /**
   * The live ticket at `space/subpath/shortname` (subpath normalised), or `null` when it does not exist, was
   * deleted or moved away.
   */
  async findByKey(space_name: string, subpath: string, shortname: string): Promise<TicketDocument | null> {
    const _id = resourcePath({ space_name, subpath: normalizeSubpath(subpath), shortname });
    const doc = await this.model.findOne({ _id, deleted: { $ne: true } }).lean<TicketDocument>().exec();
    return doc ? decodeTicketDocument(doc) : null;
  }

  /**
   * Live tickets matching `filter` (a MongoDB filter on the stored shape; paths into user data must use
   * `escapeKey` per segment), sorted/paged as asked.
   */
  async find(filter: FilterQuery<TicketDocument>, options: TicketFindOptions = {}): Promise<TicketDocument[]> {
    const docs = await this.model
      .find({ ...filter, deleted: { $ne: true } })
      .sort(options.sort ?? { created_at: -1 })
      .skip(options.skip ?? 0)
      .limit(options.limit ?? 100)
      .lean<TicketDocument[]>()
      .exec();
    return docs.map(decodeTicketDocument);
  }

  /** Number of live tickets matching `filter` (same filter rules as {@link find}). */
  count(filter: FilterQuery<TicketDocument>): Promise<number> {
    return this.model.countDocuments({ ...filter, deleted: { $ne: true } }).exec();
  }

  /**
   * Read-your-writes wait (config READ_YOUR_WRITES_TIMEOUT_MS): resolves `true` as soon as the document of
   * `key` has applied the event at global `position` or a later one (`last_position >= position`, also for a
   * deleted document), `false` after `timeoutMs` ms. Polls every `pollMs` ms (default 15).
   */
  async waitForPosition(key: ResourceKey, position: bigint, timeoutMs: number, pollMs = 15): Promise<boolean> {
    const _id = resourcePath({ ...key, subpath: normalizeSubpath(key.subpath) });
    const target = toSafeNumber(position);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const doc = await this.model.findOne({ _id }, { last_position: 1 }).lean<{ last_position?: number }>().exec();
      if (doc && typeof doc.last_position === 'number' && doc.last_position >= target) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
    }
  }

  /**
   * Dashboard counters of a space (ARCHITECTURE.md "Read models": O(1) reads), optionally of one dimension.
   * Counters that dropped to zero stay as documents with `open: 0, closed: 0`.
   */
  counts(space_name: string, dimension?: CounterDimension): Promise<TicketCounterDocument[]> {
    const filter: FilterQuery<TicketCounterDocument> = dimension ? { space_name, dimension } : { space_name };
    return this.counters.find(filter).sort({ dimension: 1, key: 1 }).lean<TicketCounterDocument[]>().exec();
  }

  /** See {@link toTicketView}. */
  toTicketView(doc: TicketDocument, options?: TicketViewOptions): TicketView {
    return toTicketView(doc, options);
  }
}

/**
 * Decodes the user-data fields of a stored `tickets` document (`displayname`, `description`, `payload`,
 * `reporter`, `collaborators`); apply once to a document read from MongoDB (decoding twice is not a no-op).
 */
export function decodeTicketDocument(stored: TicketDocument): TicketDocument {
  const decoded: Record<string, unknown> = { ...stored, collaborators: decodeUserData(stored.collaborators ?? {}) };
  for (const name of ['displayname', 'description', 'payload', 'reporter'] as const) {
    if (stored[name] !== undefined) decoded[name] = decodeUserData(stored[name]);
  }
  return decoded as unknown as TicketDocument;
}
