import type { Connection, Model } from 'mongoose';
import { AliasedGeneration, modelOnCollection, ReadModelAliases } from '../rebuild/read-model-aliases';
import type { GenerationSource } from '../rebuild/read-model-generation';
import type { KeyedCollection } from '../shared/revision-guard';
import { decodeUserData } from '../shared/user-data.codec';
import { WorkflowDefinitionProjection } from './workflow-definition.projection';
import { workflowSchema, type WorkflowDocument } from './workflow.schema';

/** Mongoose model name registered on a connection by {@link WorkflowsReadModel}. */
export const WORKFLOW_MODEL_NAME = 'Workflow';

/**
 * The `workflows` read model (docs/read-models.md, v1) on one mongoose connection. Reads return decoded
 * documents. Like `TicketsReadModel`, it uses the live generation through the alias by default (cached 1 s),
 * or the one a projection runner pins with `fixedGeneration(...)`.
 */
export class WorkflowsReadModel {
  private readonly source: GenerationSource;

  constructor(
    private readonly connection: Connection,
    source?: GenerationSource,
  ) {
    this.source = source ?? new AliasedGeneration(new ReadModelAliases(connection));
  }

  /** `workflows` of the generation last resolved (no I/O; may trail a switch until the next async call). */
  get model(): Model<WorkflowDocument> {
    return this.modelOf(this.source.last().collections.workflows);
  }

  /** Creates the collection's indexes (idempotent). */
  async ensureIndexes(): Promise<void> {
    await (await this.live()).createIndexes();
  }

  /** The projection that maintains `workflows` (for the projection runner), on the generation last resolved. */
  projection(): WorkflowDefinitionProjection {
    return new WorkflowDefinitionProjection(this.model.collection as unknown as KeyedCollection);
  }

  /** The latest definition of workflow `shortname` in `space_name`, or `null`. */
  async findByKey(space_name: string, shortname: string): Promise<WorkflowDocument | null> {
    const doc = await (await this.live()).findOne({ _id: `${space_name}/${shortname}` }).lean<WorkflowDocument>().exec();
    return doc ? decodeWorkflowDocument(doc) : null;
  }

  /** Every workflow of a space, by shortname. */
  async findBySpace(space_name: string): Promise<WorkflowDocument[]> {
    const docs = await (await this.live()).find({ space_name }).sort({ shortname: 1 }).lean<WorkflowDocument[]>().exec();
    return docs.map(decodeWorkflowDocument);
  }

  private async live(): Promise<Model<WorkflowDocument>> {
    return this.modelOf((await this.source.current()).collections.workflows);
  }

  private modelOf(collection: string): Model<WorkflowDocument> {
    return modelOnCollection<WorkflowDocument>(this.connection, WORKFLOW_MODEL_NAME, workflowSchema, collection);
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
