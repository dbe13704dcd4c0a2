import { Schema, type Connection, type Model } from 'mongoose';
import { toSafeNumber } from '../shared/mongo.helpers';

/** Collection of projection checkpoints (docs/read-models.md, v1). */
export const PROJECTION_CHECKPOINTS_COLLECTION = 'projection_checkpoints';
/** Mongoose model name registered on a connection by {@link MongoCheckpointStore}. */
export const PROJECTION_CHECKPOINT_MODEL_NAME = 'ProjectionCheckpoint';

/**
 * A `projection_checkpoints` document, v1: `_id` is the projection name (config `PROJECTION_NAME`),
 * `position` the global position of the last event the runner fully applied (`null`: none yet), `updated_at`
 * when it was stored (wall clock).
 */
export interface ProjectionCheckpointDocument {
  readonly _id: string;
  readonly position: number | null;
  readonly updated_at: Date;
}

/** Mongoose schema of `projection_checkpoints` (v1); no secondary index. */
export const projectionCheckpointSchema = new Schema(
  { _id: { type: String, required: true }, position: { type: Number, default: null }, updated_at: Date },
  { collection: PROJECTION_CHECKPOINTS_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false },
);

/** Where the projection runner keeps its checkpoint (ARCHITECTURE.md: "subscribes ... from a stored checkpoint"). */
export interface CheckpointStore {
  /** The stored position of checkpoint `name`, or `null` when there is none (start from the beginning). */
  load(name: string): Promise<bigint | null>;
  /** Stores `position` as checkpoint `name` (upsert). @throws RangeError beyond 2^53 - 1. */
  save(name: string, position: bigint): Promise<void>;
}

/** {@link CheckpointStore} in the `projection_checkpoints` collection, next to the read models it describes. */
export class MongoCheckpointStore implements CheckpointStore {
  readonly model: Model<ProjectionCheckpointDocument>;

  constructor(
    connection: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model =
      (connection.models[PROJECTION_CHECKPOINT_MODEL_NAME] as Model<ProjectionCheckpointDocument> | undefined) ??
      connection.model<ProjectionCheckpointDocument>(PROJECTION_CHECKPOINT_MODEL_NAME, projectionCheckpointSchema);
  }

  async load(name: string): Promise<bigint | null> {
    const doc = await this.model.collection.findOne({ _id: name as never });
    const position = doc?.position;
    return typeof position === 'number' ? BigInt(position) : null;
  }

  async save(name: string, position: bigint): Promise<void> {
    await this.model.collection.updateOne(
      { _id: name as never },
      { $set: { position: toSafeNumber(position), updated_at: this.now() } },
      { upsert: true },
    );
  }
}
