import type { Connection } from 'mongoose';
import { MongoCheckpointStore } from './checkpoints/projection-checkpoints';
import { MongoParkedEvents } from './parking/parked-events';
import type { Projection } from './projection';
import { AliasedGeneration, ReadModelAliases, type AliasedGenerationOptions } from './rebuild/read-model-aliases';
import type { GenerationSource, ReadModelGeneration } from './rebuild/read-model-generation';
import { TicketsReadModel } from './tickets/tickets.read-model';
import { WorkflowsReadModel } from './workflows/workflows.read-model';

/**
 * Every read model of one MongoDB database (docs/read-models.md, v2.1), built on a mongoose connection the
 * caller owns: `tickets` (+ `ticket_counters`), `workflows`, the `projection_checkpoints` store and the
 * `parked_events` store.
 *
 * The collections are those of one generation (docs/read-models.md "Rebuilding without downtime"): by default
 * the live one named by the alias in `read_model_aliases` (cached, `AliasedGeneration`), or the one `source`
 * pins (a projection runner or the rebuild writes one generation: `fixedGeneration(...)`). Checkpoints are
 * shared by all generations (each generation's runner has its own checkpoint name).
 */
export class ReadModels {
  readonly tickets: TicketsReadModel;
  readonly workflows: WorkflowsReadModel;
  readonly checkpoints: MongoCheckpointStore;
  /** Events the projections could not apply (`parked_events`, shared by all generations like the checkpoints). */
  readonly parked: MongoParkedEvents;
  private readonly source: GenerationSource;

  /**
   * @param source which generation (default: the live one through the alias, `aliasOptions` for its cache)
   */
  constructor(connection: Connection, source?: GenerationSource, aliasOptions: AliasedGenerationOptions = {}) {
    this.source = source ?? new AliasedGeneration(new ReadModelAliases(connection), aliasOptions);
    this.tickets = new TicketsReadModel(connection, this.source);
    this.workflows = new WorkflowsReadModel(connection, this.source);
    this.checkpoints = new MongoCheckpointStore(connection);
    this.parked = new MongoParkedEvents(connection);
  }

  /** The generation these read models use now (see `GenerationSource.current`). */
  generation(): Promise<ReadModelGeneration> {
    return this.source.current();
  }

  /** Creates every index of every read model (idempotent; run at projection-service start-up). */
  async ensureIndexes(): Promise<void> {
    await this.tickets.ensureIndexes();
    await this.workflows.ensureIndexes();
    await this.parked.ensureIndexes();
  }

  /** The projections that maintain these read models, for the one `ProjectionRunner` (pin the generation first). */
  projections(): Projection[] {
    return [this.tickets.projection(), this.workflows.projection()];
  }
}
