import type { Connection, FilterQuery, Model, SortOrder } from 'mongoose';
import { normalizeSubpath, resourcePath } from '@tickets/contracts';
import type { ResourceKey } from '@tickets/domain';
import { AliasedGeneration, modelOnCollection, ReadModelAliases } from '../rebuild/read-model-aliases';
import type { GenerationSource, ReadModelGeneration } from '../rebuild/read-model-generation';
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

/** Options of {@link TicketsReadModel.count}. */
export interface TicketCountOptions {
  /** Stop counting at this many matches (the answer is then `limit`: at least that many match). */
  readonly limit?: number;
  /** Index key pattern to count on (one of `ticketSchema`'s), when the planner's own choice is not the cheapest. */
  readonly hint?: Record<string, 1 | -1>;
}

/** The mongoose models of one read model generation's `tickets` and `ticket_counters` collections. */
export interface TicketModels {
  readonly generation: ReadModelGeneration;
  readonly tickets: Model<TicketDocument>;
  readonly counters: Model<TicketCounterDocument>;
}

/**
 * The `tickets` read model and its `ticket_counters` (docs/read-models.md, v1) on one mongoose connection:
 * the models, the index set-up, the projection that maintains them, and the query API the gateway uses.
 * Every read returns decoded documents (user-data keys unescaped, shared/user-data.codec.ts) and leaves out
 * deleted/moved tickets unless it says otherwise.
 *
 * Which collections: by default the live generation named by the alias in `read_model_aliases` (resolved at
 * most once per second, see `AliasedGeneration`), so readers follow a rebuild's switch within a second; a
 * projection runner passes `fixedGeneration(...)` to write one generation. Code outside this class that
 * queries the collections itself should take them from {@link live} (fresh within the alias cache time)
 * rather than from the synchronous {@link model}/{@link counters}.
 */
export class TicketsReadModel {
  private readonly source: GenerationSource;

  /**
   * @param source which generation to use (default: the live one through the alias, cached 1 s)
   */
  constructor(
    private readonly connection: Connection,
    source?: GenerationSource,
  ) {
    this.source = source ?? new AliasedGeneration(new ReadModelAliases(connection));
  }

  /** `tickets` of the generation last resolved (no I/O; may trail a switch until the next async call). */
  get model(): Model<TicketDocument> {
    return this.modelsOf(this.source.last()).tickets;
  }

  /** `ticket_counters` of the generation last resolved (see {@link model}). */
  get counters(): Model<TicketCounterDocument> {
    return this.modelsOf(this.source.last()).counters;
  }

  /** The models of the live generation (resolves the alias when the cached answer is older than its TTL). */
  async live(): Promise<TicketModels> {
    return this.modelsOf(await this.source.current());
  }

  /** Creates the collections' indexes (idempotent), the text index of bare-word search included. */
  async ensureIndexes(): Promise<void> {
    const { tickets, counters } = await this.live();
    await tickets.createIndexes();
    await counters.createIndexes();
  }

  /**
   * The projection that maintains `tickets` and `ticket_counters` (for the projection runner), on the
   * generation last resolved: build the read model with `fixedGeneration(...)` to pin it.
   */
  projection(): TicketDetailsProjection {
    const { tickets, counters } = this.modelsOf(this.source.last());
    return new TicketDetailsProjection(
      tickets.collection as unknown as KeyedCollection,
      counters.collection as unknown as KeyedCollection,
      this.connection.getClient(),
    );
  }

  /**
   * The live ticket at `space/subpath/shortname` (subpath normalised), or `null` when it does not exist, was
   * deleted or moved away.
   */
  async findByKey(space_name: string, subpath: string, shortname: string): Promise<TicketDocument | null> {
    const _id = resourcePath({ space_name, subpath: normalizeSubpath(subpath), shortname });
    const { tickets } = await this.live();
    const doc = await tickets.findOne({ _id, deleted: { $ne: true } }).lean<TicketDocument>().exec();
    return doc ? decodeTicketDocument(doc) : null;
  }

  /**
   * Live tickets matching `filter` (a MongoDB filter on the stored shape; paths into user data must use
   * `escapeKey` per segment), sorted/paged as asked.
   */
  async find(filter: FilterQuery<TicketDocument>, options: TicketFindOptions = {}): Promise<TicketDocument[]> {
    const { tickets } = await this.live();
    const docs = await tickets
      .find({ ...filter, deleted: { $ne: true } })
      .sort(options.sort ?? { created_at: -1 })
      .skip(options.skip ?? 0)
      .limit(options.limit ?? 100)
      .lean<TicketDocument[]>()
      .exec();
    return docs.map(decodeTicketDocument);
  }

  /**
   * Number of live tickets matching `filter` (same filter rules as {@link find}), at most `options.limit`. The
   * cost is one index entry (plus one document, unless the index covers the filter) per match counted.
   */
  async count(filter: FilterQuery<TicketDocument>, options: TicketCountOptions = {}): Promise<number> {
    const { tickets } = await this.live();
    const query = tickets.countDocuments({ ...filter, deleted: { $ne: true } });
    if (options.limit !== undefined) query.limit(options.limit);
    if (options.hint) query.hint(options.hint);
    return query.exec();
  }

  /**
   * Read-your-writes wait (config READ_YOUR_WRITES_TIMEOUT_MS): resolves `true` as soon as the document of
   * `key` has applied the event at global `position` or a later one (`last_position >= position`, also for a
   * deleted document), `false` after `timeoutMs` ms. Polls every `pollMs` ms (default 15), on the live
   * generation (so a switch during the wait is followed).
   */
  async waitForPosition(key: ResourceKey, position: bigint, timeoutMs: number, pollMs = 15): Promise<boolean> {
    const _id = resourcePath({ ...key, subpath: normalizeSubpath(key.subpath) });
    const target = toSafeNumber(position);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { tickets } = await this.live();
      const doc = await tickets.findOne({ _id }, { last_position: 1 }).lean<{ last_position?: number }>().exec();
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
  async counts(space_name: string, dimension?: CounterDimension): Promise<TicketCounterDocument[]> {
    const filter: FilterQuery<TicketCounterDocument> = dimension ? { space_name, dimension } : { space_name };
    const { counters } = await this.live();
    return counters.find(filter).sort({ dimension: 1, key: 1 }).lean<TicketCounterDocument[]>().exec();
  }

  /** See {@link toTicketView}. */
  toTicketView(doc: TicketDocument, options?: TicketViewOptions): TicketView {
    return toTicketView(doc, options);
  }

  private modelsOf(generation: ReadModelGeneration): TicketModels {
    return {
      generation,
      tickets: modelOnCollection<TicketDocument>(this.connection, TICKET_MODEL_NAME, ticketSchema, generation.collections.tickets),
      counters: modelOnCollection<TicketCounterDocument>(
        this.connection,
        TICKET_COUNTER_MODEL_NAME,
        ticketCounterSchema,
        generation.collections.ticket_counters,
      ),
    };
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
