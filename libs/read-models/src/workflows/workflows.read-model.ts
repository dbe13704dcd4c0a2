import type { Connection, Model } from 'mongoose';
import type { KeyedCollection } from '../shared/revision-guard';
import { decodeUserData } from '../shared/user-data.codec';
import { WorkflowDefinitionProjection } from './workflow-definition.projection';
import { workflowSchema, type WorkflowDocument } from './workflow.schema';

/** Mongoose model name registered on a connection by {@link WorkflowsReadModel}. */
export const WORKFLOW_MODEL_NAME = 'Workflow';

/** The `workflows` read model (docs/read-models.md, v1) on one mongoose connection. Reads return decoded documents. */
export class WorkflowsReadModel {
  readonly model: Model<WorkflowDocument>;

  constructor(connection: Connection) {
    this.model = (connection.models[WORKFLOW_MODEL_NAME] as Model<WorkflowDocument> | undefined) ??
      connection.model<WorkflowDocument>(WORKFLOW_MODEL_NAME, workflowSchema);
  }

  /** Creates the collection's indexes (idempotent). */
  async ensureIndexes(): Promise<void> {
    await this.model.createIndexes();
  }

  /** The projection that maintains `workflows` (for the projection runner). */
  projection(): WorkflowDefinitionProjection {
    return new WorkflowDefinitionProjection(this.model.collection as unknown as KeyedCollection);
  }

  /** The latest definition of workflow `shortname` in `space_name`, or `null`. */
  async findByKey(space_name: string, shortname: string): Promise<WorkflowDocument | null> {
    const doc = await this.model.findOne({ _id: `${space_name}/${shortname}` }).lean<WorkflowDocument>().exec();
    return doc ? decodeWorkflowDocument(doc) : null;
  }

  /** Every workflow of a space, by shortname. */
  async findBySpace(space_name: string): Promise<WorkflowDocument[]> {
    const docs = await this.model.find({ space_name }).sort({ shortname: 1 }).lean<WorkflowDocument[]>().exec();
    return docs.map(decodeWorkflowDocument);
  }
}

/** Decodes the user-data fields of a stored `workflows` document; apply once per read. */
export function decodeWorkflowDocument(stored: WorkflowDocument): WorkflowDocument {
  const decoded: Record<string, unknown> = { ...stored, definition: decodeUserData(stored.definition) };
  for (const name of ['displayname', 'description'] as const) {
    if (stored[name] !== undefined) decoded[name] = decodeUserData(stored[name]);
  }
  return decoded as unknown as WorkflowDocument;
}
