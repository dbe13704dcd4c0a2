import mongoose from 'mongoose';
import { loadConfig, type AppConfig } from '@tickets/config';
import { createEventStore, type EventStore } from '@tickets/event-store';
import {
  fixedGeneration,
  generationContentHash,
  listGenerations,
  pruneReadModels,
  readModelGeneration,
  ProjectionRunner,
  ReadModelAliases,
  ReadModels,
  rebuildReadModels,
  rollbackReadModels,
  type ProjectionLag,
  type ReadModelGeneration,
  type ReadModelSwitchOptions,
} from '@tickets/read-models';

/**
 * `npm run projections:rebuild` (docs/read-models.md "Rebuilding without downtime"): rebuilds the read models
 * from position zero into a new generation of collections while the live one keeps serving, switches the
 * alias once caught up, and waits for the projection-service to take over. Configuration as for the services
 * (`MONGODB_URI`, `EVENT_STORE`, `POSTGRES_*`, `PROJECTION_NAME`).
 *
 *   npm run projections:rebuild                      rebuild and switch
 *   npm run projections:rebuild -- --status [--hash] live and previous generation, collections, checkpoints
 *   npm run projections:rebuild -- --rollback        switch back to the previous generation (caught up first)
 *   npm run projections:rebuild -- --prune           drop generations that are neither live nor previous
 *   npm run projections:rebuild -- --reapply-parked  re-apply the live generation's parked events (after a fix)
 *
 * Ctrl-C before the switch stops the rebuild and drops the half-built generation; the live one is untouched.
 * Exit codes: 0 done, 1 failed (or, for --reapply-parked, events still parked), 2 usage.
 */
const USAGE = 'usage: projections-rebuild [--status [--hash] | --rollback | --prune | --reapply-parked]';

async function main(argv: readonly string[]): Promise<number> {
  const flags = new Set(argv);
  const known = new Set(['--status', '--hash', '--rollback', '--prune', '--reapply-parked']);
  const modes = ['--status', '--rollback', '--prune', '--reapply-parked'].filter((f) => flags.has(f));
  if ([...flags].some((f) => !known.has(f)) || modes.length > 1 || (flags.has('--hash') && !flags.has('--status'))) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const connection = await mongoose.createConnection(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }).asPromise();
  let store: EventStore | null = null;
  try {
    if (flags.has('--status')) return await status(connection, config, flags.has('--hash'));
    if (flags.has('--prune')) {
      const dropped = await pruneReadModels(connection, config.PROJECTION_NAME);
      console.log(dropped.length > 0 ? `dropped: ${dropped.join(', ')}` : 'nothing to drop');
      return 0;
    }
    store = await openStore(config);
    if (flags.has('--reapply-parked')) return await reapplyParked(connection, store, config);
    const abort = new AbortController();
    const onSignal = () => {
      console.error('stopping: the rebuild ends before its switch, the half-built generation is dropped');
      abort.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let lastReport = 0;
    const options: ReadModelSwitchOptions = {
      connection,
      store,
      projectionName: config.PROJECTION_NAME,
      signal: abort.signal,
      logger: { log: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) },
      onProgress: (lag: ProjectionLag, target: ReadModelGeneration) => {
        if (Date.now() - lastReport < 2000) return;
        lastReport = Date.now();
        console.log(
          `generation ${target.version}: position ${lag.position ?? 'start'} of ${lag.head_position ?? 'empty'}, ` +
            `${lag.events_processed} events processed, oldest waiting event ${lag.lag_ms} ms old`,
        );
      },
    };
    const result = flags.has('--rollback') ? await rollbackReadModels(options) : await rebuildReadModels(options);
    console.log(
      `live read models: generation ${result.to.version} (${Object.values(result.to.collections).join(', ')}), ` +
        `switched from ${result.from.version} at position ${result.position ?? 'start'} after ${result.events_processed} events; ` +
        `projection-service ${result.adopted ? 'took over' : 'has not taken over yet'}; generation ${result.from.version} is kept for rollback`,
    );
    return 0;
  } finally {
    await store?.close();
    await connection.close();
  }
}

async function status(connection: mongoose.Connection, config: AppConfig, withHash: boolean): Promise<number> {
  const aliases = new ReadModelAliases(connection, { projectionName: config.PROJECTION_NAME });
  const doc = await aliases.read();
  const live = await aliases.resolve();
  const previous = await aliases.previous();
  const checkpoints = connection.collection('projection_checkpoints');
  const describe = async (generation: ReadModelGeneration) => {
    const checkpoint = await checkpoints.findOne({ _id: generation.checkpoint as never });
    const hash = withHash ? (await generationContentHash(connection, generation)).sha256 : undefined;
    return { version: generation.version, collections: generation.collections, checkpoint: generation.checkpoint, position: checkpoint?.position ?? null, ...(hash ? { sha256: hash } : {}) };
  };
  const generations = await listGenerations(connection);
  const report = {
    live: await describe(live),
    previous: previous ? await describe(previous) : null,
    switched_at: doc?.switched_at ?? null,
    adopted_at: doc?.adopted_at ?? null,
    adopted_by: doc?.adopted_by ?? null,
    rebuild_running: doc?.rebuild ?? null,
    other_generations: generations
      .filter((v) => v !== live.version && v !== previous?.version)
      .map((v) => readModelGeneration(v, config.PROJECTION_NAME).collections.tickets),
  };
  console.log(JSON.stringify(report, null, 2));
  return 0;
}

/**
 * Re-applies the parked events of the live generation (docs/read-models.md "parked_events") with a runner of
 * that generation's checkpoint name (not started: it does not move the checkpoint). Safe while the
 * projection-service runs: both write under the revision guard in transactions.
 */
async function reapplyParked(connection: mongoose.Connection, store: EventStore, config: AppConfig): Promise<number> {
  const generation = await new ReadModelAliases(connection, { projectionName: config.PROJECTION_NAME }).resolve();
  const models = new ReadModels(connection, fixedGeneration(generation));
  await models.ensureIndexes();
  const runner = new ProjectionRunner({
    name: generation.checkpoint,
    store,
    projections: models.projections(),
    checkpoints: models.checkpoints,
    parking: models.parked,
    logger: { log: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) },
  });
  const result = await runner.reapplyParked();
  console.log(
    `generation ${generation.version}: re-applied ${result.reapplied} parked events, ${result.still_parked} still parked, ` +
      `${result.streams_cleared} streams current again`,
  );
  return result.still_parked > 0 ? 1 : 0;
}

function openStore(config: AppConfig): Promise<EventStore> {
  return config.EVENT_STORE === 'eventstoredb'
    ? createEventStore({ kind: 'eventstoredb', connectionString: config.EVENTSTORE_CONNECTION_STRING ?? '' })
    : createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema: config.POSTGRES_SCHEMA });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
