import { Schema } from 'mongoose';
import type { Translation, WorkflowDefinition } from '@tickets/domain';

/** Collection of the `workflows` read model (docs/read-models.md, v1). */
export const WORKFLOWS_COLLECTION = 'workflows';

/**
 * A `workflows` document, v1: the latest definition of one workflow (TICKETS.md section 2), user data
 * decoded. `_id` is `space_name/shortname`; `version` is the `WorkflowDefined.version` of the latest
 * definition (1, 2, ...); `revision`/`last_position` as in `tickets`. Stored with `definition`,
 * `displayname` and `description` encoded (shared/user-data.codec.ts).
 */
export interface WorkflowDocument {
  readonly _id: string;
  readonly space_name: string;
  readonly shortname: string;
  readonly version: number;
  readonly definition: WorkflowDefinition;
  readonly displayname?: Translation;
  readonly description?: Translation;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly revision: number;
  readonly last_position: number;
  /** (v2.1) `true` while events of the workflow's stream are parked (see `tickets.parked`); absent otherwise. */
  readonly parked?: boolean;
}

/** Mongoose schema of `workflows` (v1): documents the shape and the index. */
export const workflowSchema = new Schema(
  {
    _id: { type: String, required: true },
    space_name: String,
    shortname: String,
    version: Number,
    definition: Schema.Types.Mixed,
    displayname: Schema.Types.Mixed,
    description: Schema.Types.Mixed,
    created_at: Date,
    updated_at: Date,
    revision: Number,
    last_position: Number,
    parked: Boolean,
  },
  { collection: WORKFLOWS_COLLECTION, versionKey: false, minimize: false, autoIndex: false, autoCreate: false, strict: false },
);

workflowSchema.index({ space_name: 1, shortname: 1 });
