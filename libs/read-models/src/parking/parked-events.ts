import { Schema, type Connection, type Model } from 'mongoose';
import type { RecordedEvent } from '@tickets/event-store';
import { toSafeNumber } from '../shared/mongo.helpers';

/** Collection of parked events (docs/read-models.md, v2.1). */
export const PARKED_EVENTS_COLLECTION = 'parked_events';
/** Mongoose model name registered on a connection by {@link MongoParkedEvents}. */
export const PARKED_EVENT_MODEL_NAME = 'ParkedEvent';
/** `event.data_json` keeps at most this many characters of the event's data (the event store keeps all of it). */
export const PARKED_DATA_MAX_CHARS = 64 * 1024;

/**
 * A `parked_events` document (v2.1): an event one projection of one runner could not apply (a permanent
 * error), or one parked behind such an event of the same stream (`behind` is then the position of the first
 * parked event of the stream; `null` for that first one). `_id` is `checkpoint/projection/position`.
 * `event` is a copy for reading; re-applying reads the event from the event store. `data_json` is the event's
 * data as JSON text (the data may be what BSON cannot hold, e.g. arrays nested 1000 deep), cut at
 * {@link PARKED_DATA_MAX_CHARS}.
 */
export interface ParkedEventDocument {
  readonly _id: string;
  /** The runner's checkpoint name (one generation's read models, or the integration-event publisher). */
  readonly checkpoint: string;
  readonly projection: string;
  readonly stream_id: string;
  readonly revision: number;
  readonly position: number;
  readonly behind: number | null;
  readonly event: {
    readonly id: string;
    readonly type: string;
    readonly recorded_at: string;
    readonly metadata_json: string;
    readonly data_json: string;
    readonly data_truncated: boolean;
  };
  readonly error: string;
  readonly parked_at: Date;
  /** Re-apply attempts that failed again (0 when parked). */
  readonly attempts: number;
}

/** Mongoose schema of `parked_events` (v2.1); documents the shape and the one index. */
export const parkedEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    checkpoint: String,
    projection: String,
    stream_id: String,
    revision: Number,
    position: Number,
    behind: { type: Number, default: null },
    event: Schema.Types.Mixed,
    error: String,
    parked_at: Date,
    attempts: Number,
  },
  { collection: PARKED_EVENTS_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false },
);
parkedEventSchema.index({ checkpoint: 1, projection: 1, stream_id: 1, position: 1 });

/** What the runner needs to know about parked events, per projection. */
export interface ParkedSummary {
  /** Parked events per projection name (projections without any are absent). */
  readonly by_projection: Readonly<Record<string, number>>;
  readonly total: number;
  /** When the oldest parked event was parked (`null`: none). */
  readonly oldest_parked_at: Date | null;
}

/** Where a projection runner parks the events it cannot apply (see `ProjectionRunner`). */
export interface ParkedEventStore {
  /** Records `event` as parked for `projection` of runner `checkpoint` (idempotent per position). */
  park(
    checkpoint: string,
    projection: string,
    event: RecordedEvent,
    error: string,
    behind: bigint | null,
  ): Promise<void>;
  /** The streams with parked events of `projection` of runner `checkpoint`, each with its first parked position. */
  parkedStreams(checkpoint: string, projection: string): Promise<Map<string, bigint>>;
  /** Whether `stream_id` still has parked events (another process may have re-applied them). */
  isParked(checkpoint: string, projection: string, stream_id: string): Promise<boolean>;
  /** The parked events of runner `checkpoint` (optionally of one projection's stream), in position order. */
  list(
    checkpoint: string,
    of?: { readonly projection: string; readonly stream_id: string },
  ): Promise<ParkedEventDocument[]>;
  /** Removes the record of the event at `position` (re-applied). */
  remove(checkpoint: string, projection: string, position: bigint): Promise<void>;
  /** Notes a failed re-apply: `attempts + 1`, the new error. */
  failedAgain(checkpoint: string, projection: string, position: bigint, error: string): Promise<void>;
  /** Counts of runner `checkpoint`. */
  summary(checkpoint: string): Promise<ParkedSummary>;
}

/** {@link ParkedEventStore} in the `parked_events` collection, next to the checkpoints (shared by all generations). */
export class MongoParkedEvents implements ParkedEventStore {
  readonly model: Model<ParkedEventDocument>;

  constructor(
    connection: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model =
      (connection.models[PARKED_EVENT_MODEL_NAME] as Model<ParkedEventDocument> | undefined) ??
      connection.model<ParkedEventDocument>(PARKED_EVENT_MODEL_NAME, parkedEventSchema);
  }

  /** Creates the collection's index (idempotent). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  async park(
    checkpoint: string,
    projection: string,
    event: RecordedEvent,
    error: string,
    behind: bigint | null,
  ): Promise<void> {
    const position = toSafeNumber(event.position);
    const data = safeJson(event.data);
    const document: ParkedEventDocument = {
      _id: parkedId(checkpoint, projection, event.position),
      checkpoint,
      projection,
      stream_id: event.stream_id,
      revision: toSafeNumber(event.revision, 'revision'),
      position,
      behind: behind === null ? null : toSafeNumber(behind),
      event: {
        id: event.id,
        type: event.type,
        recorded_at: event.recorded_at,
        metadata_json: safeJson(event.metadata).slice(0, PARKED_DATA_MAX_CHARS),
        data_json: data.slice(0, PARKED_DATA_MAX_CHARS),
        data_truncated: data.length > PARKED_DATA_MAX_CHARS,
      },
      error: error.slice(0, 2000),
      parked_at: this.now(),
      attempts: 0,
    };
    // Parking the same event again (a replay after a crash) keeps the first record.
    await this.model.collection.updateOne(
      { _id: document._id as never },
      { $setOnInsert: document },
      { upsert: true },
    );
  }

  async parkedStreams(checkpoint: string, projection: string): Promise<Map<string, bigint>> {
    const rows = await this.model.collection
      .aggregate<{ _id: string; first: number }>([
        { $match: { checkpoint, projection } },
        { $group: { _id: '$stream_id', first: { $min: '$position' } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, BigInt(r.first)]));
  }

  async isParked(checkpoint: string, projection: string, stream_id: string): Promise<boolean> {
    return (
      (await this.model.collection.countDocuments({ checkpoint, projection, stream_id }, { limit: 1 })) > 0
    );
  }

  async list(
    checkpoint: string,
    of?: { readonly projection: string; readonly stream_id: string },
  ): Promise<ParkedEventDocument[]> {
    const filter = of ? { checkpoint, projection: of.projection, stream_id: of.stream_id } : { checkpoint };
    return (await this.model.collection
      .find(filter)
      .sort({ position: 1 })
      .toArray()) as unknown as ParkedEventDocument[];
  }

  async remove(checkpoint: string, projection: string, position: bigint): Promise<void> {
    await this.model.collection.deleteOne({ _id: parkedId(checkpoint, projection, position) as never });
  }

  async failedAgain(checkpoint: string, projection: string, position: bigint, error: string): Promise<void> {
    await this.model.collection.updateOne(
      { _id: parkedId(checkpoint, projection, position) as never },
      { $inc: { attempts: 1 }, $set: { error: error.slice(0, 2000) } },
    );
  }

  async summary(checkpoint: string): Promise<ParkedSummary> {
    const rows = await this.model.collection
      .aggregate<{ _id: string; count: number; oldest: Date }>([
        { $match: { checkpoint } },
        { $group: { _id: '$projection', count: { $sum: 1 }, oldest: { $min: '$parked_at' } } },
      ])
      .toArray();
    const by_projection = Object.fromEntries(rows.map((r) => [r._id, r.count]));
    const oldest = rows.reduce<Date | null>(
      (min, r) => (min === null || r.oldest < min ? r.oldest : min),
      null,
    );
    return { by_projection, total: rows.reduce((sum, r) => sum + r.count, 0), oldest_parked_at: oldest };
  }
}

function parkedId(checkpoint: string, projection: string, position: bigint): string {
  return `${checkpoint}/${projection}/${position}`;
}

/** JSON text of `value`; a description of the failure when even JSON cannot hold it. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * {@link ParkedEventStore} in memory: the runner's default when it is given none (unit tests, tools that run a
 * runner briefly). Parked events are then lost with the process; the services and the rebuild use
 * {@link MongoParkedEvents}.
 */
export class MemoryParkedEvents implements ParkedEventStore {
  private readonly records = new Map<string, ParkedEventDocument>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async park(
    checkpoint: string,
    projection: string,
    event: RecordedEvent,
    error: string,
    behind: bigint | null,
  ): Promise<void> {
    const _id = parkedId(checkpoint, projection, event.position);
    if (this.records.has(_id)) return;
    const data = safeJson(event.data);
    this.records.set(_id, {
      _id,
      checkpoint,
      projection,
      stream_id: event.stream_id,
      revision: Number(event.revision),
      position: Number(event.position),
      behind: behind === null ? null : Number(behind),
      event: {
        id: event.id,
        type: event.type,
        recorded_at: event.recorded_at,
        metadata_json: safeJson(event.metadata),
        data_json: data.slice(0, PARKED_DATA_MAX_CHARS),
        data_truncated: data.length > PARKED_DATA_MAX_CHARS,
      },
      error,
      parked_at: this.now(),
      attempts: 0,
    });
  }

  async parkedStreams(checkpoint: string, projection: string): Promise<Map<string, bigint>> {
    const streams = new Map<string, bigint>();
    for (const r of this.sorted(checkpoint)) {
      if (r.projection === projection && !streams.has(r.stream_id))
        streams.set(r.stream_id, BigInt(r.position));
    }
    return streams;
  }

  async isParked(checkpoint: string, projection: string, stream_id: string): Promise<boolean> {
    return this.sorted(checkpoint).some((r) => r.projection === projection && r.stream_id === stream_id);
  }

  async list(
    checkpoint: string,
    of?: { readonly projection: string; readonly stream_id: string },
  ): Promise<ParkedEventDocument[]> {
    return this.sorted(checkpoint).filter(
      (r) => !of || (r.projection === of.projection && r.stream_id === of.stream_id),
    );
  }

  async remove(checkpoint: string, projection: string, position: bigint): Promise<void> {
    this.records.delete(parkedId(checkpoint, projection, position));
  }

  async failedAgain(checkpoint: string, projection: string, position: bigint, error: string): Promise<void> {
    const _id = parkedId(checkpoint, projection, position);
    const record = this.records.get(_id);
    if (record) this.records.set(_id, { ...record, attempts: record.attempts + 1, error });
  }

  async summary(checkpoint: string): Promise<ParkedSummary> {
    const records = this.sorted(checkpoint);
    const by_projection: Record<string, number> = {};
    for (const r of records) by_projection[r.projection] = (by_projection[r.projection] ?? 0) + 1;
    const oldest = records.reduce<Date | null>(
      (min, r) => (min === null || r.parked_at < min ? r.parked_at : min),
      null,
    );
    return { by_projection, total: records.length, oldest_parked_at: oldest };
  }

  private sorted(checkpoint: string): ParkedEventDocument[] {
    return [...this.records.values()]
      .filter((r) => r.checkpoint === checkpoint)
      .sort((a, b) => a.position - b.position);
  }
}
