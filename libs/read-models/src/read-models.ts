import type { Connection } from 'mongoose';
import { MongoCheckpointStore } from './checkpoints/projection-checkpoints';
import type { Projection } from './projection';
import { TicketsReadModel } from './tickets/tickets.read-model';
import { WorkflowsReadModel } from './workflows/workflows.read-model';

/**
 * Every read model of one MongoDB database (docs/read-models.md, v1), built on a mongoose connection the
 * caller owns: `tickets` (+ `ticket_counters`), `workflows`, and the `projection_checkpoints` store.
 */
export class ReadModels {
  readonly tickets: TicketsReadModel;
  readonly workflows: WorkflowsReadModel;
  readonly checkpoints: MongoCheckpointStore;

  constructor(connection: Connection) {
    this.tickets = new TicketsReadModel(connection);
    this.workflows = new WorkflowsReadModel(connection);
    this.checkpoints = new MongoCheckpointStore(connection);
  }

  /** Creates every index of every read model (idempotent; run at projection-service start-up). */
  async ensureIndexes(): Promise<void> {
    await this.tickets.ensureIndexes();
    await this.workflows.ensureIndexes();
  }

  /** The projections that maintain these read models, for the one `ProjectionRunner`. */
  projections(): Projection[] {
    return [this.tickets.projection(), this.workflows.projection()];
  }
}
