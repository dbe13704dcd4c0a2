import type { Connection } from 'mongoose';
import type { Pool } from 'pg';
import type { loadConfig } from '@tickets/config';
import type { prefixedTopics } from '../lib/fresh';
import type { Mode } from '../lib/modes';
import type { ProcessGroup } from '../lib/procs';
import type { ReadModelWatcher } from '../lib/readmodel-watch';
import type { Endpoints } from '../lib/services';
import type { BenchResult, Phase } from '../lib/types';
import type { Mix } from '../lib/workload';

/** What every phase of one run shares: parameters, the system under test, the result being filled. */
export interface BenchContext {
  readonly root: string;
  readonly mode: Mode;
  readonly phases: ReadonlySet<Phase>;
  readonly config: ReturnType<typeof loadConfig>;
  /** The deployment's topic names (KAFKA_TOPIC_PREFIX + the contract's names). */
  readonly topics: ReturnType<typeof prefixedTopics>;
  readonly endpoints: Endpoints;
  /** Processes sampled for RSS and CPU (the system under test and the bench itself). */
  readonly groups: readonly ProcessGroup[];
  /** The services' read-model database (a mongoose connection of the bench's own). */
  readonly mongo: Connection;
  /** The live `tickets` collection name (read_model_aliases, else `tickets`). */
  readonly ticketsCollection: string;
  /** The event store (PostgreSQL), for positions of HTTP answers; `null` for another store. */
  readonly eventStorePool: Pool | null;
  readonly watcher: ReadModelWatcher;
  /** The run's space (workflow and payload schema defined by the e2e set-up) and its command mix. */
  readonly space: string;
  readonly mix: Mix;
  readonly gatewayUrl: string;
  /** Bearer token of the commands' actor (an agent). */
  readonly token: string;
  /** Result payloads seen on the Kafka path (their sizes shape the baseline's results). */
  readonly sampleResults: Map<string, string>;
  readonly result: BenchResult;
  readonly notes: string[];
  readonly errors: { phase: string; message: string }[];
  readonly log: (message: string) => void;
}

/** Runs one phase; a failure is recorded in `errors` and logged, and the run goes on. */
export async function guarded(ctx: BenchContext, phase: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    ctx.errors.push({ phase, message: (error as Error).stack ?? String(error) });
    ctx.log(`${phase} failed: ${(error as Error).message}`);
  }
}
