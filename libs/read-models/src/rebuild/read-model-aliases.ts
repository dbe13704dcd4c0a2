import type { Connection, Model, Schema } from 'mongoose';
import { isDuplicateKeyError, toSafeNumber } from '../shared/mongo.helpers';
import type { KeyedCollection } from '../shared/revision-guard';
import { readModelGeneration, type GenerationSource, type ReadModelCollections, type ReadModelGeneration } from './read-model-generation';

/** Collection of the alias documents that name the live read model generation (docs/read-models.md). */
export const READ_MODEL_ALIASES_COLLECTION = 'read_model_aliases';
/** `_id` of the alias document of the tickets read models (`tickets`, `ticket_counters`, `workflows`). */
export const READ_MODELS_ALIAS_ID = 'tickets';

/** A generation as recorded in an alias document (the `previous` one, kept for rollback). */
export interface AliasedGenerationRecord {
  readonly version: number;
  readonly collections: ReadModelCollections;
  readonly checkpoint: string;
}

/** The lease of a running rebuild, so that two rebuilds never build or switch at once. */
export interface RebuildLease {
  /** Random id of the rebuild process holding the lease. */
  readonly owner: string;
  /** The generation it builds. */
  readonly version: number;
  readonly started_at: Date;
  /** Renewed while the rebuild runs; a lease older than its `lease_ms` may be taken over. */
  readonly heartbeat_at: Date;
  readonly lease_ms: number;
}

/**
 * A `read_model_aliases` document (docs/read-models.md "read_model_aliases"): which generation is live.
 * FerretDB v1 has neither transactions nor a `renameCollection` to rely on, so a switch is one conditional
 * update of this one document, which every reader resolves (cached for `READ_MODEL_ALIAS_TTL_MS`).
 */
export interface ReadModelAliasDocument extends AliasedGenerationRecord {
  readonly _id: string;
  /** Checkpoint position of the new generation when it was switched to (`null`: empty log or never switched). */
  readonly position: number | null;
  /** When the alias last switched (`null`: never; the document was created for generation 1). */
  readonly switched_at: Date | null;
  /** The generation live before the last switch, kept for rollback (`null`: none). */
  readonly previous: AliasedGenerationRecord | null;
  /** When the projection-service took over maintaining this generation, and which process (`host/pid`). */
  readonly adopted_at: Date | null;
  readonly adopted_by: string | null;
  /** The running rebuild, if any. */
  readonly rebuild: RebuildLease | null;
}

/** Another process switched the alias first (or the alias is not at the generation the caller started from). */
export class AliasSwitchConflictError extends Error {
  override readonly name = 'AliasSwitchConflictError';
  constructor(
    readonly expected_version: number,
    readonly actual_version: number | null,
  ) {
    super(`the live read model generation is ${actual_version ?? 'unknown'}, expected ${expected_version}: another switch happened`);
  }
}

/** Options of {@link ReadModelAliases}. */
export interface ReadModelAliasesOptions {
  /** Config `PROJECTION_NAME`: checkpoint name of generation 1 and base of the others (default `tickets`). */
  readonly projectionName?: string;
  /** Wall clock (default `new Date()`); injected by tests. */
  readonly now?: () => Date;
}

/**
 * The alias of the tickets read models in `read_model_aliases` (one document, `_id` {@link READ_MODELS_ALIAS_ID}).
 * Without a document the live generation is generation 1 (the plain collection names), so a database that never
 * saw a rebuild needs no migration.
 */
export class ReadModelAliases {
  /** The native collection (loosely typed: the driver's filter types over this shape take tsc minutes). */
  readonly collection: KeyedCollection;
  readonly projectionName: string;
  private readonly now: () => Date;

  constructor(connection: Connection, options: ReadModelAliasesOptions = {}) {
    this.collection = connection.collection(READ_MODEL_ALIASES_COLLECTION) as unknown as KeyedCollection;
    this.projectionName = options.projectionName ?? 'tickets';
    this.now = options.now ?? (() => new Date());
  }

  /** The alias document, or `null` before the first rebuild. */
  async read(): Promise<ReadModelAliasDocument | null> {
    return (await this.collection.findOne({ _id: READ_MODELS_ALIAS_ID })) as ReadModelAliasDocument | null;
  }

  /** The live generation, read now (no cache). @throws the driver's error. */
  async resolve(): Promise<ReadModelGeneration> {
    const doc = await this.read();
    return doc ? toGeneration(doc) : readModelGeneration(1, this.projectionName);
  }

  /** The generation live before the last switch (rollback target), or `null`. */
  async previous(): Promise<ReadModelGeneration | null> {
    const doc = await this.read();
    return doc?.previous ? toGeneration(doc.previous) : null;
  }

  /** Creates the alias document for generation 1 when there is none (idempotent). */
  async ensureDocument(): Promise<void> {
    const initial = readModelGeneration(1, this.projectionName);
    try {
      await this.collection.insertOne({
        _id: READ_MODELS_ALIAS_ID,
        version: initial.version,
        collections: { ...initial.collections },
        checkpoint: initial.checkpoint,
        position: null,
        switched_at: null,
        previous: null,
        adopted_at: null,
        adopted_by: null,
        rebuild: null,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Makes `to` the live generation if `from` still is (one conditional single-document update: atomic on
   * MongoDB and FerretDB v1), keeping `from` as `previous` for rollback.
   * @param position the checkpoint `to` was at (recorded for operators; the runner reads its own checkpoint)
   * @throws AliasSwitchConflictError when the live generation is no longer `from`.
   */
  async switchTo(from: ReadModelGeneration, to: ReadModelGeneration, position: bigint | null): Promise<void> {
    await this.ensureDocument();
    const result = await this.collection.updateOne(
      { _id: READ_MODELS_ALIAS_ID, version: from.version, checkpoint: from.checkpoint },
      {
        $set: {
          version: to.version,
          collections: { ...to.collections },
          checkpoint: to.checkpoint,
          position: position === null ? null : toSafeNumber(position),
          switched_at: this.now(),
          previous: { version: from.version, collections: { ...from.collections }, checkpoint: from.checkpoint },
          adopted_at: null,
          adopted_by: null,
        },
      },
    );
    if (result.matchedCount === 0) throw new AliasSwitchConflictError(from.version, (await this.read())?.version ?? null);
  }

  /**
   * Records that `by` (`host/pid` of a projection-service) now maintains generation `version`; a no-op when the
   * alias moved on meanwhile. Resolves whether it was recorded.
   */
  async markAdopted(version: number, by: string): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: READ_MODELS_ALIAS_ID, version },
      { $set: { adopted_at: this.now(), adopted_by: by } },
    );
    return result.matchedCount > 0;
  }

  /**
   * Takes the rebuild lease for `owner` building generation `version`: free, expired (no heartbeat for its
   * `lease_ms`), or already held by `owner`. Resolves whether it was taken.
   */
  async acquireRebuildLease(owner: string, version: number, leaseMs: number): Promise<boolean> {
    await this.ensureDocument();
    const now = this.now();
    const doc = await this.read();
    const lease = doc?.rebuild ?? null;
    if (lease && lease.owner !== owner && now.getTime() - new Date(lease.heartbeat_at).getTime() < lease.lease_ms) return false;
    const rebuild: RebuildLease = { owner, version, started_at: now, heartbeat_at: now, lease_ms: leaseMs };
    // Conditional on the lease we saw, so two contenders cannot both take it.
    const result = await this.collection.updateOne(
      lease ? { _id: READ_MODELS_ALIAS_ID, 'rebuild.owner': lease.owner, 'rebuild.heartbeat_at': lease.heartbeat_at } : { _id: READ_MODELS_ALIAS_ID, rebuild: null },
      { $set: { rebuild } },
    );
    return result.matchedCount > 0;
  }

  /** Renews `owner`'s lease; resolves `false` when it lost it (taken over after expiry). */
  async renewRebuildLease(owner: string): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: READ_MODELS_ALIAS_ID, 'rebuild.owner': owner },
      { $set: { 'rebuild.heartbeat_at': this.now() } },
    );
    return result.matchedCount > 0;
  }

  /** Releases `owner`'s lease (a no-op when it does not hold it). */
  async releaseRebuildLease(owner: string): Promise<void> {
    await this.collection.updateOne({ _id: READ_MODELS_ALIAS_ID, 'rebuild.owner': owner }, { $set: { rebuild: null } });
  }
}

function toGeneration(record: AliasedGenerationRecord): ReadModelGeneration {
  return {
    version: record.version,
    collections: {
      tickets: record.collections.tickets,
      ticket_counters: record.collections.ticket_counters,
      workflows: record.collections.workflows,
    },
    checkpoint: record.checkpoint,
  };
}

/** Options of {@link AliasedGeneration}. */
export interface AliasedGenerationOptions {
  /** How long a resolved generation is used before the alias is read again, in ms (config `READ_MODEL_ALIAS_TTL_MS`; default 1000). */
  readonly ttlMs?: number;
  /** Monotonic-enough clock in ms (default `Date.now`); injected by tests. */
  readonly clock?: () => number;
}

/**
 * The live generation through the alias, cached for `ttlMs` (default 1 s), so that every gateway replica
 * follows a switch within about a second while reading the alias at most once per second. Concurrent
 * callers share one read. `last()` answers without I/O and, when the cache is stale, starts a refresh in the
 * background, so code that only uses the synchronous models still follows a switch at its next call.
 */
export class AliasedGeneration implements GenerationSource {
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private resolvedAt = Number.NEGATIVE_INFINITY;
  private known: ReadModelGeneration;
  private inflight: Promise<ReadModelGeneration> | null = null;

  constructor(
    private readonly aliases: ReadModelAliases,
    options: AliasedGenerationOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.known = readModelGeneration(1, aliases.projectionName);
  }

  current(): Promise<ReadModelGeneration> {
    if (this.clock() - this.resolvedAt < this.ttlMs) return Promise.resolve(this.known);
    this.inflight ??= this.aliases
      .resolve()
      .then((generation) => {
        this.known = generation;
        this.resolvedAt = this.clock();
        return generation;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  last(): ReadModelGeneration {
    if (this.clock() - this.resolvedAt >= this.ttlMs && !this.inflight) {
      // Best effort: a failed refresh is retried at the next call; reads surface the driver's errors anyway.
      this.current().catch(() => undefined);
    }
    return this.known;
  }
}

/**
 * The mongoose model of `schema` on `collection` (one model per collection and connection, created once):
 * `baseName` for the schema's own collection (generation 1), `baseName@collection` for the others.
 */
export function modelOnCollection<T>(connection: Connection, baseName: string, schema: Schema, collection: string): Model<T> {
  const name = collection === (schema.get('collection') as string | undefined) ? baseName : `${baseName}@${collection}`;
  // Casts through `unknown`: checking mongoose's model types against a generic `T` takes tsc minutes.
  const model: unknown = connection.models[name] ?? connection.model(name, schema, collection);
  return model as Model<T>;
}
